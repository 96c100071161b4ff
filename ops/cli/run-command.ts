import * as path from 'node:path';
import type { Logger } from '../../drivers/log';
import type { Read } from '../../firmware/pipeline/read';
import { Appliance } from '../../firmware/main/appliance';
import { loadContext, out } from './cli-context';
import type { HealthReport } from '../../firmware/health/health-report';
import { startDemoHub } from '../hub/demo-hub';
import type { HubServer } from '../hub/hub-server';
import type { BatchResult } from '../hub/read-batches';
import { alertDetailsOf, alertSummary, type Alert } from '../../firmware/hotlist/alert';
import { base64Bytes, type UploadRead } from '../../firmware/uplink/protocol';
import { evidenceLine, staleLists } from '../hub/alert-text';

export interface RunOptions {
  config?: string;
  for?: number;
  json?: boolean;
  /** Start a reference hub on loopback too, enroll with it, and upload there (`make run`). */
  demoHub?: boolean;
}

function readLine(read: Read, json: boolean): string {
  if (json) {
    const { crop: _crop, quad: _quad, ...shown } = read;
    return JSON.stringify({ time: new Date(read.firstSeen).toISOString(), ...shown });
  }
  return `${new Date(read.firstSeen).toISOString()}  ${read.plate.padEnd(8)}  ${read.confidence.toFixed(2)}  (${read.frameCount} frames${read.format ? `, ${read.format}` : ''})`;
}

/** A hotlist hit as stored on the device (the hub's arrival is printed apart, when there is one). */
function alertLines({ read, details }: Alert, json: boolean): string {
  if (json) {
    const best = details.matches[0];
    return JSON.stringify({ alert: read.id, time: new Date(details.raisedAt).toISOString(), plate: read.plate, rule: best.rule, why: best.why, list: best.entry.list, caseNumber: best.entry.caseNumber, frameBytes: details.frame?.jpeg.length ?? null });
  }
  const advisory = details.advisory.split('\n').map((line) => `    ${line}`);
  return [`${new Date(details.raisedAt).toISOString()}  ALERT ${alertSummary(read, details)}`, ...advisory].join('\n');
}

/** Prints what the demo hub received: alerts (a block of their own), reads arriving at central, and health pulls. */
export function showHubArrivals(hub: HubServer, json: boolean): void {
  hub.on('alert', (deviceId: string, read: UploadRead) => {
    if (read.alert === null) return;
    const { frameJpeg, ...record } = read.alert;
    const frameBytes = frameJpeg === null ? 0 : base64Bytes(frameJpeg);
    const best = record.matches[0];
    if (json) {
      out(JSON.stringify({ hub: 'alert', deviceId, readId: read.id, plate: read.plate, rule: best.rule, list: best.entry.list, caseNumber: best.entry.caseNumber, stale: staleLists(record), frameBytes }));
      return;
    }
    // The frame's bytes are not needed for the summary line: its size is counted from the base64.
    const details = alertDetailsOf(record, null);
    const lines = [`${new Date().toISOString()}  hub: ALERT from ${deviceId}: ${alertSummary(read, details)}`];
    for (const line of record.advisory.split('\n')) lines.push(`    ${line}`);
    lines.push(`    ${evidenceLine(record, frameBytes, base64Bytes(read.crop))}`);
    out(lines.join('\n'));
  });
  hub.on('stored', (deviceId: string, batch: string, lane: string, result: BatchResult) => {
    if (json) out(JSON.stringify({ hub: 'stored', deviceId, batch, lane, ...result }));
    else out(`${new Date().toISOString()}  hub: ${result.stored} ${lane === 'alert' ? 'alert' : 'read'}${result.stored === 1 ? '' : 's'} from ${deviceId} stored and acknowledged${result.duplicates ? ` (${result.duplicates} already there)` : ''}`);
  });
  hub.on('health', (deviceId: string, report: HealthReport) => {
    if (json) out(JSON.stringify({ hub: 'health', deviceId, fps: report.camera.fps, queueDepth: report.uplink.queueDepth }));
    else {
      out(`${new Date().toISOString()}  hub: health of ${deviceId}: ${report.camera.fps.toFixed(1)} fps, ${report.store.reads} reads kept, ${report.uplink.queueDepth} waiting to upload`);
      for (const warning of report.warnings ?? []) out(`${new Date().toISOString()}  hub: WARNING from ${deviceId}: ${warning}`);
    }
  });
}

/** Resolves on SIGINT/SIGTERM, after `seconds` if given, or when a finite source has ended. */
async function untilStopped(appliance: Appliance, seconds: number | undefined, log: Logger): Promise<void> {
  let finish!: () => void;
  const stopped = new Promise<void>((resolve) => (finish = resolve));
  const timer = seconds !== undefined ? setTimeout(finish, seconds * 1000) : null;
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'stopping');
    finish();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  void appliance.pipeline.finished().then(finish);
  await stopped;
  if (timer) clearTimeout(timer);
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
}

/** `sightline run`: the appliance, until stopped, its source ends, or --for seconds pass. */
export async function runCommand(options: RunOptions): Promise<number> {
  const { config, log } = loadContext(options.config);
  const json = options.json === true;
  const demo = options.demoHub ? await startDemoHub(config, log) : null;
  let appliance: Appliance;
  try {
    appliance = await Appliance.start(config, log, demo ? { uplink: { url: demo.uplinkUrl } } : {});
  } catch (err) {
    await demo?.close();
    throw err;
  }
  appliance.pipeline.on('alert', (alert) => out(alertLines(alert, json)));
  appliance.pipeline.on('read', (read) => out(readLine(read, json)));
  if (demo) showHubArrivals(demo.hub, json);
  if (!json) {
    out(`sightline: reading plates from ${appliance.source.description}; Ctrl-C stops`);
    if (demo) out(`sightline: uploading to the demo hub at ${demo.uplinkUrl} (its data: ${path.resolve(config.store.dataDir, 'demo-hub')})`);
  }

  await untilStopped(appliance, options.for, log);
  await appliance.stop();
  await demo?.close();
  const stats = appliance.pipeline.stats();
  if (json) out(JSON.stringify({ frames: stats.frames, dropped: stats.dropped, still: stats.still, reads: stats.reads }));
  else out(`sightline: ${stats.frames} frames, ${stats.dropped} dropped, ${stats.still} still (motion gate), ${stats.reads} reads`);
  return 0;
}
