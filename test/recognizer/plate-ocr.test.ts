import assert from 'node:assert/strict';
import { loadModel } from '../../recognizer/onnx-session';
import { PLATE_OCR_HEIGHT, PLATE_OCR_WIDTH, PlateOcr, platePixels } from '../../recognizer/ocr/plate-ocr';
import { framesWithPlates, platesInView } from '../support/synthetic-frames';

describe('PlateOcr (real onnxruntime)', () => {
  it('reads a batch handed over as a view into a larger buffer of prepared plates as those plates alone', async () => {
    const ocr = new PlateOcr(await loadModel('plateOcr', { threads: 1 }));
    const plates = platesInView(await framesWithPlates(6, {}, 30));
    assert.ok(plates.length >= 4, `${plates.length} synthetic plates to read`);
    const plane = PLATE_OCR_HEIGHT * PLATE_OCR_WIDTH;
    // Each plate warped by its own quad: a different plate in each plane.
    const prepared = plates.map(({ mat, truth }) => platePixels(mat, [truth.quad]));
    const all = new Float32Array(prepared.length * plane);
    prepared.forEach((p, i) => all.set(p, i * plane));
    // Two plates from the middle: the tensor must read the view at its offset, not the buffer's start.
    const from = 2;
    const view = all.subarray(from * plane, (from + 2) * plane);
    assert.equal(view.byteOffset, from * plane * Float32Array.BYTES_PER_ELEMENT);
    const read = await ocr.readPrepared(view, 2);
    // Batches of the same size, so the same kernels: the view reads exactly what a copy of its plates reads.
    assert.deepEqual(read, await ocr.readPrepared(all.slice(from * plane, (from + 2) * plane), 2));
    const first = await ocr.readPrepared(all.subarray(0, 2 * plane), 2);
    assert.notDeepEqual(read, first, 'the middle plates read differently from the first two, or the check could not fail');
    for (const mat of new Set(plates.map((p) => p.mat))) mat.release();
  });
});
