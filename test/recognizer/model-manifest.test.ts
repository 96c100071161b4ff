import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_MANIFEST_PATH, readManifest, resolveModelFile, verifyModel } from '../../recognizer/model-manifest';
import { loadModel } from '../../recognizer/onnx-session';
import { RecognizerError } from '../../recognizer/recognizer-error';
import { useTempDir } from '../support/temp-dir';

/** Copies the shipped detector into `dir` and writes a manifest for it, optionally edited. */
function localManifest(dir: string, edit: (entry: Record<string, unknown>) => void = () => undefined): string {
  const shipped = readManifest();
  const detector = shipped.models.detector;
  copyFileSync(resolveModelFile(detector, path.dirname(DEFAULT_MANIFEST_PATH), 'detector'), path.join(dir, 'det.onnx'));
  const entry: Record<string, unknown> = { ...detector, file: 'det.onnx' };
  delete entry.package;
  edit(entry);
  const manifestPath = path.join(dir, 'manifest.json');
  writeFileSync(manifestPath, JSON.stringify({ models: { detector: entry } }));
  return manifestPath;
}

async function rejection(promise: Promise<unknown>): Promise<RecognizerError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof RecognizerError, `expected a RecognizerError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

describe('model manifest', () => {
  const tmp = useTempDir();

  it('verifies the shipped models and their charset', async () => {
    const detector = await verifyModel('detector');
    assert.match(detector.modelPath, /ch_PP-OCRv4_det_infer\.onnx$/);
    const recognizer = await verifyModel('recognizer');
    assert.ok(recognizer.charset && recognizer.charset.length > 6000, 'PP-OCR charset loaded');
  });

  it('loads a verified model whose file sits beside its manifest', async () => {
    const loaded = await loadModel('detector', { threads: 1, manifestPath: localManifest(tmp()) });
    assert.deepEqual(loaded.session.inputNames, ['x']);
  });

  it('refuses a missing model file, naming it', async () => {
    const manifestPath = localManifest(tmp(), (e) => (e.file = 'gone.onnx'));
    const err = await rejection(verifyModel('detector', manifestPath));
    assert.equal(err.code, 'MODEL_MISSING');
    assert.ok(err.message.includes(path.join(tmp(), 'gone.onnx')), err.message);
  });

  it('refuses a model file altered by one byte, naming it and both checksums', async () => {
    const manifestPath = localManifest(tmp());
    const file = path.join(tmp(), 'det.onnx');
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1] ^= 0x01;
    writeFileSync(file, bytes);
    const err = await rejection(loadModel('detector', { threads: 1, manifestPath }));
    assert.equal(err.code, 'MODEL_ALTERED');
    assert.ok(err.message.includes(file), err.message);
    assert.ok(err.message.includes(readManifest(manifestPath).models.detector.sha256), err.message);
  });

  it('refuses a model whose input does not match the manifest', async () => {
    const manifestPath = localManifest(tmp(), (e) => (e.input = { name: 'x', shape: ['N', 1, 'H', 'W'] }));
    const err = await rejection(loadModel('detector', { threads: 1, manifestPath }));
    assert.equal(err.code, 'MODEL_SHAPE_MISMATCH');
    assert.match(err.message, /\[N, 1, H, W\]/);
  });

  it('refuses a manifest that is not JSON or lacks a field, naming the file', async () => {
    const broken = path.join(tmp(), 'broken.json');
    writeFileSync(broken, '{ "models": ');
    assert.throws(() => readManifest(broken), (e: RecognizerError) => e.code === 'MODEL_MANIFEST_INVALID' && e.message.includes(broken));
    const lacking = path.join(tmp(), 'lacking.json');
    writeFileSync(lacking, JSON.stringify({ models: { detector: { kind: 'ppocr-db', file: 'x.onnx', input: {} } } }));
    assert.throws(() => readManifest(lacking), (e: RecognizerError) => e.code === 'MODEL_MANIFEST_INVALID' && /lacks "sha256"/.test(e.message));
  });
});
