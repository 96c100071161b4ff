import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import cv = require('../../drivers/opencv');
import { SqliteReadStore } from '../../firmware/store/sqlite-read-store';
import { lastJson, runCli } from '../support/run-cli';
import { CROP_PARTITION, splitOf } from '../../ops/bench/holdout';
import { framesWithPlates, platesInView } from '../support/synthetic-frames';
import { useTempDir } from '../support/temp-dir';

function writeConfig(dir: string, yaml: string): string {
  const file = path.join(dir, 'sightline.yaml');
  writeFileSync(file, yaml);
  return file;
}

const SMALL_SCENE = (dataDir: string) => `
camera:
  source: synthetic
  synthetic: { width: 1280, height: 720, fps: 10, seed: 11, vehiclesPerMinute: 40 }
store:
  dataDir: ${dataDir}
log:
  level: warn
`;

describe('sightline command line (real processes)', function () {
  this.timeout(180_000);
  const tmp = useTempDir();

  it('refuses an invalid config naming file, line, key, value and what is allowed', async () => {
    const file = writeConfig(tmp(), 'camera:\n  synthetic:\n    fps: 0\n  sorce: folder\n');
    const result = await runCli(['config', 'check', file]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`${file.replace(/[/.]/g, '\\$&')} line 3: camera\\.synthetic\\.fps = 0: must be a number`));
    assert.match(result.stderr, /line 4: camera\.sorce.*unknown key; allowed keys: source,/);
    const run = await runCli(['run', '--config', file, '--for', '1']);
    assert.equal(run.code, 2, 'run refuses to start on the same config');
    assert.match(run.stderr, /camera\.synthetic\.fps = 0/);
  });

  it('prints every default, documented, and accepts it back as a config', async () => {
    const defaults = await runCli(['config', 'defaults']);
    assert.equal(defaults.code, 0);
    assert.match(defaults.stdout, /# .*\n\s*windowMs: 1500/);
    const file = writeConfig(tmp(), defaults.stdout);
    assert.equal((await runCli(['config', 'check', file])).code, 0);
  });

  it('reads still images: one JSON object each, errors named per image', async () => {
    const [frame] = await framesWithPlates(1, { width: 1280, height: 720 });
    assert.ok(frame.image.kind === 'bgr');
    const good = path.join(tmp(), 'frame.jpg');
    cv.imwrite(good, new cv.Mat(frame.image.pixels, frame.image.height, frame.image.width, cv.CV_8UC3));
    const truncated = path.join(tmp(), 'truncated.jpg');
    writeFileSync(truncated, cv.imencode('.jpg', new cv.Mat(64, 64, cv.CV_8UC3, [9, 9, 9])).subarray(0, 100));
    const missing = path.join(tmp(), 'missing.jpg');
    const crops = path.join(tmp(), 'crops');
    const result = await runCli(['read', good, truncated, missing, '--crops', crops]);
    assert.equal(result.code, 1, 'non-zero when any image failed');
    const [ok, bad, gone] = result.lines.map((l) => JSON.parse(l));
    const plates = (ok.candidates as { plate: string }[]).map((c) => c.plate);
    assert.ok(frame.truth!.some((t) => plates.includes(t.text)), `read ${plates} for ${frame.truth!.map((t) => t.text)}`);
    assert.equal(ok.width, 1280);
    assert.ok(ok.candidates[0].crop.startsWith(crops));
    assert.deepEqual(bad, { image: truncated, error: { code: 'IMAGE_CORRUPT', message: bad.error.message } });
    assert.match(bad.error.message, /truncated\.jpg: JPEG data is truncated/);
    assert.equal(gone.error.code, 'ENOENT');
    assert.match(result.stderr, /missing\.jpg/);
  });

  it('runs the appliance for a while, prints reads and a JSON summary, and keeps reads across restarts', async () => {
    const dataDir = path.join(tmp(), 'data');
    const config = writeConfig(tmp(), SMALL_SCENE(dataDir));
    const first = await runCli(['run', '--config', config, '--for', '12', '--json']);
    assert.equal(first.code, 0, first.stderr);
    const summary = lastJson<{ frames: number; dropped: number; still: number; reads: number }>(first);
    assert.ok(summary.frames > 20, `frames ${summary.frames}`);
    assert.ok(Number.isInteger(summary.still) && summary.still >= 0 && summary.still + summary.dropped <= summary.frames, `still ${summary.still}`);
    assert.ok(summary.reads >= 1, `reads ${summary.reads}: ${first.stderr}`);
    const readLines = first.lines.slice(0, -1).map((l) => JSON.parse(l));
    assert.equal(readLines.length, summary.reads);
    assert.match(readLines[0].plate, /^[A-Z0-9]{2,8}$/);
    assert.ok(readLines[0].confidence > 0 && readLines[0].confidence <= 1);

    const second = await runCli(['run', '--config', config, '--for', '6', '--json']);
    assert.equal(second.code, 0, second.stderr);
    const store = await SqliteReadStore.open(dataDir);
    try {
      assert.equal(await store.count(), summary.reads + lastJson<{ reads: number }>(second).reads);
      const stored = await store.get(readLines[0].id);
      assert.equal(stored?.plate, readLines[0].plate);
      assert.ok(stored && cv.imdecode(stored.crop).cols > 0, 'the crop survives as a JPEG');
    } finally {
      await store.close();
    }
  });

  it('runs with the demo hub (make run): enrolls, and the reads it prints reach the hub', async () => {
    const dataDir = path.join(tmp(), 'data');
    const config = writeConfig(tmp(), SMALL_SCENE(dataDir));
    const result = await runCli(['run', '--demo-hub', '--config', config, '--for', '15', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.lines.slice(0, -1).map((l) => JSON.parse(l) as { id?: string; plate?: string; hub?: string; stored?: number });
    const printed = new Set(lines.filter((l) => l.plate !== undefined).map((l) => l.id));
    const storedAtHub = lines.filter((l) => l.hub === 'stored').reduce((n, l) => n + (l.stored ?? 0), 0);
    assert.ok(printed.size >= 1, `reads made: ${result.stderr}`);
    assert.ok(storedAtHub >= 1, `the hub said it stored reads: ${result.stdout}`);

    // What the hub kept is what the appliance printed: the same ids, nothing invented, nothing twice.
    const hubReads = await runCli(['hub', 'reads', '--dir', path.join(dataDir, 'demo-hub'), '--limit', '1000', '--json']);
    assert.equal(hubReads.code, 0, hubReads.stderr);
    const kept = JSON.parse(hubReads.lines[0]) as { readId: string }[];
    assert.equal(kept.length, storedAtHub);
    for (const read of kept) assert.ok(printed.has(read.readId), `hub read ${read.readId} is one the appliance printed`);

    const status = await runCli(['provision', 'status', '--config', config, '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /"deviceId"/);
  });

  it('raises alerts for the demo hotlist\'s plates (make run): on the device, at the hub with the frame, and in `sightline alerts`', async () => {
    const dataDir = path.join(tmp(), 'data');
    // Every vehicle carries one of the demo plates, so a short run is sure to see hits.
    const config = writeConfig(tmp(), SMALL_SCENE(dataDir).replace('vehiclesPerMinute: 40 }', 'vehiclesPerMinute: 40, featuredShare: 1 }'));
    const result = await runCli(['run', '--demo-hub', '--config', config, '--for', '20', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.lines.slice(0, -1).map((l) => JSON.parse(l) as { alert?: string; rule?: string; list?: string; hub?: string; readId?: string; frameBytes?: number | null });
    const raised = lines.filter((l) => l.alert !== undefined);
    const atHub = lines.filter((l) => l.hub === 'alert');
    assert.ok(raised.length >= 1, `the device raised alerts: ${result.stdout}`);
    assert.ok(raised.every((l) => l.list === 'DEMO' && ['exact', 'alternative', 'wildcard', 'fuzzy'].includes(l.rule ?? '')));
    assert.ok(atHub.length >= 1, `alerts reached the hub: ${result.stdout}`);
    for (const l of atHub) {
      assert.ok(raised.some((r) => r.alert === l.readId), `hub alert ${l.readId} is one the device raised`);
      assert.ok((l.frameBytes ?? 0) > 10_000, 'the full frame travelled with it');
    }

    const hubAlerts = await runCli(['hub', 'alerts', '--dir', path.join(dataDir, 'demo-hub'), '--json']);
    assert.equal(hubAlerts.code, 0, hubAlerts.stderr);
    const kept = JSON.parse(hubAlerts.lines[0]) as { readId: string; alert: { advisory: string; matches: { entry: { caseNumber: string } }[] } }[];
    assert.equal(kept.length, atHub.length);
    assert.match(kept[0].alert.advisory, /Confirm the plate characters visually/);
    assert.match(kept[0].alert.matches[0].entry.caseNumber, /^DEMO-000\d$/);

    const refused = await runCli(['alerts', '--config', config, '--user', 'tech1', '--json']);
    assert.equal(refused.code, 2, 'alerts shows plates: refused without agency, purpose and case');
    const local = await runCli(['alerts', '--config', config, '--user', 'tech1', '--agency', 'County SO', '--purpose', 'quarterly hotlist check', '--case', 'QA-2026-4', '--json']);
    assert.equal(local.code, 0, local.stderr);
    const onDevice = JSON.parse(local.lines[0]) as { id: string; alert: { frameBytes: number | null } | null }[];
    assert.equal(onDevice.length, raised.length);
    assert.ok(onDevice.every((a) => (a.alert?.frameBytes ?? 0) > 10_000));
  });

  it('refuses a GStreamer pipeline that does not parse, naming the element', async () => {
    const config = writeConfig(tmp(), `camera:\n  source: gstreamer\n  gstreamer:\n    preset: custom\n    pipeline: "videotestsrc ! nosuchelement ! appsink"\nstore:\n  dataDir: ${tmp()}/data\n`);
    const result = await runCli(['run', '--config', config, '--for', '5']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /PIPELINE_INVALID.*"nosuchelement" does not exist/);
  });

  it('keeps running while the camera is missing and picks it up when it appears', async () => {
    const frames = path.join(tmp(), 'camera');
    const config = writeConfig(
      tmp(),
      `camera:\n  source: gstreamer\n  gstreamer:\n    preset: custom\n    pipeline: "multifilesrc location=${frames}/f%03d.png loop=true ! pngdec ! videoconvert ! video/x-raw,format=BGR ! appsink"\n` +
        `  reconnect: { initialDelayMs: 200, maxDelayMs: 1000 }\nstore:\n  dataDir: ${tmp()}/data\n`,
    );
    setTimeout(() => {
      mkdirSync(frames);
      for (let i = 0; i < 3; i++) cv.imwrite(path.join(frames, `f00${i}.png`), new cv.Mat(240, 320, cv.CV_8UC3, [i * 50, 80, 120]));
    }, 3000);
    const result = await runCli(['run', '--config', config, '--for', '9', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /CAMERA_NOT_FOUND|not found/i);
    assert.ok(lastJson<{ frames: number }>(result).frames > 0, 'frames flow once the camera is there');
  });

  it('benchmarks accuracy over a labelled folder, with a JSON summary', async () => {
    const dir = path.join(tmp(), 'labelled');
    mkdirSync(dir);
    const frames = (await framesWithPlates(8, { width: 1280, height: 720 })).filter((f) => f.truth!.length === 1).slice(0, 3);
    assert.equal(frames.length, 3);
    frames.forEach((f, i) => {
      if (f.image.kind !== 'bgr') return;
      const name = `img${i}.jpg`;
      const t = f.truth![0];
      cv.imwrite(path.join(dir, name), new cv.Mat(f.image.pixels, f.image.height, f.image.width, cv.CV_8UC3));
      writeFileSync(path.join(dir, `img${i}.txt`), `${name}\t${Math.round(t.box.x)}\t${Math.round(t.box.y)}\t${Math.round(t.box.width)}\t${Math.round(t.box.height)}\t${t.text}\n`);
    });
    const result = await runCli(['bench', 'accuracy', dir, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const summary = lastJson<{ images: number; top1: number; topN: number; latency_ms: { median: number; p95: number } }>(result);
    assert.equal(summary.images, 3);
    assert.ok(summary.top1 >= 2 / 3 - 1e-9, `top1 ${summary.top1}`);
    assert.ok(summary.topN >= summary.top1);
    assert.ok(summary.latency_ms.median > 0 && summary.latency_ms.p95 >= summary.latency_ms.median);
    assert.equal(result.lines.length, 4, 'one line per image, then the summary');

    writeFileSync(path.join(dir, 'img0.txt'), 'img0.jpg\t1\t2\n');
    const bad = await runCli(['bench', 'accuracy', dir, '--json']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /img0\.txt: expected NAME, x, y, w, h, PLATE/);
  });

  it('benchmarks the plate OCR on labelled crops, all or one split', async () => {
    const dir = path.join(tmp(), 'crops');
    mkdirSync(dir);
    const rows: string[] = [];
    for (const { mat, truth, rect } of platesInView(await framesWithPlates(10, { width: 1280, height: 720 }))) {
      const name = `p${rows.length}.png`;
      cv.imwrite(path.join(dir, name), mat.getRegion(rect));
      rows.push(`${name},xx,${truth.text}`);
    }
    assert.ok(rows.length >= 5);
    writeFileSync(path.join(dir, 'groundtruth.csv'), rows.join('\n') + '\n');
    const result = await runCli(['bench', 'ocr', dir, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const s = lastJson<{ crops: number; split: string; top1: number; topN: number; ocr_ms: { median: number; p95: number } }>(result);
    assert.equal(s.crops, rows.length);
    assert.equal(s.split, 'all');
    assert.ok(s.top1 >= 0.6, `top1 ${s.top1}`);
    assert.ok(s.topN >= s.top1);
    assert.ok(s.ocr_ms.median > 0 && s.ocr_ms.p95 >= s.ocr_ms.median);
    assert.equal(result.lines.length, rows.length + 1, 'one line per crop, then the summary');

    for (const split of ['heldout', 'selection', 'train'] as const) {
      const count = rows.filter((r) => splitOf(r.split(',')[0], CROP_PARTITION) === split).length;
      const run = await runCli(['bench', 'ocr', dir, '--split', split, '--json']);
      if (count === 0) assert.match(run.stderr, /no labelled crops/);
      else assert.equal(lastJson<{ crops: number }>(run).crops, count, split);
    }
    // The photos have no selection part: the option refuses it rather than scoring nothing.
    const photoSelection = await runCli(['bench', 'accuracy', dir, '--split', 'selection', '--json']);
    assert.notEqual(photoSelection.code, 0);
    assert.match(photoSelection.stderr, /--split.*selection.*(invalid|choices)/is);

    writeFileSync(path.join(dir, 'groundtruth.csv'), 'p0.png,xx\n');
    const bad = await runCli(['bench', 'ocr', dir, '--json']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /groundtruth\.csv:1: expected file,state,PLATE/);
  });

  it('benchmarks the live pipeline on the synthetic camera', async () => {
    const config = writeConfig(tmp(), 'camera:\n  synthetic: { width: 1280, height: 720, fps: 10, vehiclesPerMinute: 40 }\nlog: { level: warn }\n');
    const result = await runCli(['bench', 'pipeline', '--config', config, '--seconds', '8', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const s = lastJson<Record<string, number> & { latency_ms: { p50: number; p99: number }; stages_ms: Record<string, number> }>(result);
    for (const key of ['fps', 'frames', 'dropped', 'vehicles', 'reads', 'correct', 'rss_mb']) assert.equal(typeof s[key], 'number', key);
    for (const stage of ['decode', 'preprocess', 'localize', 'ocr', 'vote']) assert.ok(s.stages_ms[stage] >= 0, `stage ${stage}`);
    assert.ok(s.stages_ms.localize > 0, 'every recognized frame is searched for plates');
    if (s.reads > 0) assert.ok(s.stages_ms.ocr > 0, 'ocr is timed over the frames that had a plate');
    assert.ok(s.frames > 0 && s.fps > 0);
    assert.ok(s.correct <= s.vehicles);
    assert.ok(s.rss_mb > 50);
  });
});
