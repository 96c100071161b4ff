/**
 * `sightline hub ...`: the reference central hub. `serve` runs it; `devices`, `reads`, `alerts`,
 * `health`, `revoke` and `send` work on its database (DIR/hub.sqlite) from another process while it runs.
 */
import { readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import * as path from 'node:path';
import type { HealthReport } from '../../firmware/health/health-report';
import { createLogger, type LogLevel } from '../../firmware/main/logger';
import { commandSchema, LIMITS, type Command, type CommandName } from '../../firmware/uplink/protocol';
import { CA_CERT_FILE, FleetCaError, initFleetCa, loadFleetCa } from '../fleet/fleet-ca-files';
import { alertImages, listAlerts, type HubAlertRow } from '../hub/alerts-view';
import { evidenceLine, matchLines } from '../hub/alert-text';
import { imageFolder, saveAlertImages, type SavedImages } from './alert-images';
import { revokeDeviceCertificates } from '../hub/certificates-table';
import { getCommand, queueCommand, type CommandRow } from '../hub/commands-table';
import { deviceExists, listDevices } from '../hub/devices-table';
import { lastHealth } from '../hub/health-table';
import { HubDatabase } from '../hub/hub-database';
import { DEFAULT_HUB_DIR } from '../hub/hub-files';
import { HUB_DEFAULTS, HubServer } from '../hub/hub-server';
import { listReads } from '../hub/reads-view';
import { CliError } from './cli-error';
import { signSnapshot } from '../../firmware/hotlist/hotlist-signature';
import { out } from './cli-context';

const DAY_MS = 86_400_000;

export interface HubServeOptions {
  dir?: string;
  /** host:port of the WebSocket listener (default 127.0.0.1:8443). */
  listen?: string;
  /** host:port of the enrollment listener (default 127.0.0.1:8444). */
  enrollListen?: string;
  /** false (`--no-enroll`): no enrollment listener. */
  enroll?: boolean;
  /** Names in the hub's server certificate (default localhost and 127.0.0.1). */
  hostname?: string[];
  /** Lifetime of the device certificates the hub issues, days (default 90). */
  certDays?: number;
  /** Health pulled from every connected device this often, minutes (default 5; 0: on connect only). */
  healthMinutes?: number;
  /** Create the fleet CA in DIR when there is none. */
  init?: boolean;
  /** Print `{"listening":{host,port,enrollPort}}` instead of the text lines once listening. */
  json?: boolean;
  logLevel?: LogLevel;
  /** Stops the hub (tests); otherwise SIGINT or SIGTERM does. */
  signal?: AbortSignal;
  /** Called once the hub listens (tests). */
  onListening?: (hub: HubServer) => void;
}

/** `sightline hub serve`: runs the hub until SIGINT/SIGTERM (or `signal`). */
export async function hubServeCommand(options: HubServeOptions): Promise<number> {
  const dir = path.resolve(options.dir ?? DEFAULT_HUB_DIR);
  const listen = parseListen(options.listen ?? `${HUB_DEFAULTS.host}:${HUB_DEFAULTS.port}`, '--listen');
  const enroll = options.enroll === false ? null : parseListen(options.enrollListen ?? `${HUB_DEFAULTS.host}:8444`, '--enroll-listen');
  const certDays = options.certDays ?? 90;
  if (!(certDays > 0)) throw new CliError('--cert-days must be greater than 0');
  const healthMinutes = options.healthMinutes ?? 5;
  if (!(healthMinutes >= 0)) throw new CliError('--health-minutes must be 0 or more');
  const log = createLogger(options.logLevel ?? 'info');
  const ca = await fleetCa(dir, options.init === true);
  let hub: HubServer;
  try {
    hub = await HubServer.start({
      dir,
      ca,
      host: listen.host,
      port: listen.port,
      hostnames: options.hostname && options.hostname.length > 0 ? options.hostname : undefined,
      enroll,
      certLifetimeMs: certDays * DAY_MS,
      healthIntervalMs: healthMinutes * 60_000,
      log: log.child({ part: 'hub' }),
    });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  if (options.json) {
    // One line a supervising process (the uplink bench, tests) reads to learn the ports.
    out(JSON.stringify({ listening: { host: listen.host, port: hub.port, enrollPort: hub.enrollPort } }));
  } else {
    out(`hub listening on wss://${urlHost(listen.host)}:${hub.port} (devices pin ${path.join(dir, CA_CERT_FILE)})`);
    if (hub.enrollPort !== null && enroll) out(`enrollment on https://${urlHost(enroll.host)}:${hub.enrollPort} (tokens: sightline fleet token --dir ${dir})`);
  }
  options.onListening?.(hub);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      options.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (options.signal?.aborted) stop();
    else options.signal?.addEventListener('abort', stop);
  });
  await hub.close();
  return 0;
}

async function fleetCa(dir: string, init: boolean) {
  try {
    return loadFleetCa(dir);
  } catch (err) {
    if (init && err instanceof FleetCaError && err.code === 'FLEET_CA_MISSING') {
      out(`creating a fleet CA in ${dir}`);
      return initFleetCa(dir);
    }
    if (err instanceof FleetCaError) throw new CliError(`${err.message}${err.code === 'FLEET_CA_MISSING' ? ' (or start the hub with --init)' : ''}`);
    throw err;
  }
}

/** "host:port" or "[v6]:port". */
export function parseListen(value: string, flag: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new CliError(`${flag} ${JSON.stringify(value)} must be host:port (e.g. 127.0.0.1:8443, [::1]:8443)`);
  return { host: match[1] ?? match[2], port };
}

interface DirOptions {
  dir?: string;
  json?: boolean;
}

async function withHub<T>(options: DirOptions, fn: (db: HubDatabase) => Promise<T>): Promise<T> {
  const dir = path.resolve(options.dir ?? DEFAULT_HUB_DIR);
  let db: HubDatabase;
  try {
    db = await HubDatabase.open(dir, { create: false });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

function time(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}

/** `sightline hub devices`: every device the hub knows, connected or not. */
export async function hubDevicesCommand(options: DirOptions): Promise<number> {
  const devices = await withHub(options, (db) => listDevices(db));
  if (options.json) {
    out(JSON.stringify(devices));
    return 0;
  }
  if (devices.length === 0) out('no devices yet');
  for (const d of devices) {
    const state = d.certificateNotAfter === null && d.revokedCertificates > 0 ? 'REVOKED' : d.connected ? 'connected' : 'offline';
    out(
      `${d.deviceId.padEnd(24)} ${state.padEnd(9)} last connected ${time(d.lastConnectedAt)}  reads ${d.reads}  alerts ${d.alerts}  duplicates ${d.duplicates}  ` +
        `certificate until ${time(d.certificateNotAfter)}  last health ${time(d.lastHealthAt)}`,
    );
  }
  return 0;
}

/** `sightline hub reads`: the newest reads (no crops: their size only). */
export async function hubReadsCommand(options: DirOptions & { device?: string; alerts?: boolean; limit?: number }): Promise<number> {
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0)) throw new CliError('--limit must be an integer of at least 1');
  const reads = await withHub(options, (db) => listReads(db, { device: options.device, alerts: options.alerts, limit: options.limit }));
  if (options.json) {
    out(JSON.stringify(reads));
    return 0;
  }
  if (reads.length === 0) out('no reads');
  for (const r of reads) {
    out(
      `${time(r.firstSeen)} ${r.deviceId} ${r.readId} ${r.dataClass === 'hit' ? 'ALERT' : 'read '} ${r.plate.padEnd(10)} ${r.confidence.toFixed(2)}` +
        `${r.held ? ' held' : ''}${r.originalPlate ? ` (corrected from ${r.originalPlate})` : ''} crop ${r.cropBytes} B, received ${time(r.receivedAt)}`,
    );
  }
  return 0;
}

export interface HubAlertsOptions extends DirOptions {
  device?: string;
  limit?: number;
  /** Write each alert's plate crop and full frame here, as <readId>-crop.jpg and <readId>-frame.jpg (0600). */
  saveImages?: string;
}

/**
 * `sightline hub alerts`: the newest alerts with what an officer needs to confirm them: the read,
 * each match with its list, case and synopsis, stale lists, the advisory, and the evidence's size;
 * --save-images writes the crop and frame so they can be compared by eye.
 */
export async function hubAlertsCommand(options: HubAlertsOptions): Promise<number> {
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0)) throw new CliError('--limit must be an integer of at least 1');
  const imageDir = options.saveImages === undefined ? null : imageFolder(options.saveImages);
  const shown = await withHub(options, async (db) => {
    const alerts = await listAlerts(db, { device: options.device, limit: options.limit });
    const saved: { alert: HubAlertRow; files: SavedImages | null }[] = [];
    // One alert's images in memory at a time: frames are up to 8 MiB each.
    for (const alert of alerts) {
      let files: SavedImages | null = null;
      if (imageDir !== null) {
        const images = await alertImages(db, alert.deviceId, alert.readId);
        if (images !== null) files = saveAlertImages(imageDir, alert.readId, images.crop, images.frame);
      }
      saved.push({ alert, files });
    }
    return saved;
  });
  if (options.json) {
    out(JSON.stringify(shown.map(({ alert, files }) => (files === null ? alert : { ...alert, images: files }))));
    return 0;
  }
  if (shown.length === 0) out('no alerts');
  for (const { alert: a, files } of shown) {
    out(`${time(a.raisedAt)}  ALERT ${a.deviceId} ${a.readId}  ${a.plate}  confidence ${a.confidence.toFixed(2)}  (received ${time(a.receivedAt)})`);
    matchLines(a.alert).forEach((line) => out(`  ${line}`));
    a.alert.advisory.split('\n').forEach((line) => out(`  ${line}`));
    out(`  ${evidenceLine(a.alert, a.frameBytes, a.cropBytes)}`);
    if (files !== null) out(`  saved ${[files.crop, files.frame].filter((f) => f !== null).join(', ')}`);
  }
  return 0;
}

/** `sightline hub health`: each device's last health report. */
export async function hubHealthCommand(options: DirOptions & { device?: string }): Promise<number> {
  const rows = await withHub(options, (db) => lastHealth(db, options.device));
  if (options.json) {
    out(JSON.stringify(rows));
    return 0;
  }
  if (rows.length === 0) out(options.device ? `no health report from ${options.device} yet` : 'no health reports yet');
  for (const row of rows) {
    out(`${row.deviceId} (received ${time(row.receivedAt)})`);
    healthLines(row.report).forEach((line) => out(`  ${line}`));
  }
  return 0;
}

function gb(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}

export function healthLines(h: HealthReport): string[] {
  const s = h.system;
  return [
    `uptime ${Math.round(s.uptimeS)} s (appliance ${Math.round(s.processUptimeS)} s), load ${s.load.map((l) => l.toFixed(2)).join(' ')}, CPU ${s.cpuTemperatureC === null ? '-' : `${s.cpuTemperatureC.toFixed(1)} °C`}`,
    `memory ${gb(s.memory.availableBytes)} free of ${gb(s.memory.totalBytes)}, disk ${gb(s.disk.freeBytes)} free of ${gb(s.disk.totalBytes)} (${s.disk.path})`,
    `camera ${h.camera.fps.toFixed(1)} fps, ${h.camera.frames} frames, ${h.camera.dropped} dropped` +
      (h.recognizer.stillFrames === undefined ? '' : `, ${h.recognizer.stillFrames} still (motion gate)`) +
      `; recognizer latency median ${h.recognizer.latencyMsMedian ?? '-'} ms, p95 ${h.recognizer.latencyMsP95 ?? '-'} ms`,
    `store ${h.store.reads} reads, lost ${h.store.lostNotUploaded} before upload, ${h.store.lostReads} not stored; uplink queue ${h.uplink.queueDepth}, last upload ${time(h.uplink.lastUploadAt)}`,
    `certificate until ${time(h.uplink.certificateNotAfter)}, software ${h.software.version} (node ${h.software.node})`,
    ...(h.hotlists === undefined ? [] : [`hotlists: ${h.hotlists.length === 0 ? 'none' : h.hotlists.map((l) => `${l.name} (${l.entries} entries, refreshed ${time(l.refreshedAt)}${l.stale ? ', STALE' : ''})`).join(', ')}`]),
    ...(h.warnings ?? []).map((w) => `WARNING: ${w}`),
  ];
}

/** `sightline hub revoke DEVICE --reason R`: revokes its certificates; a running hub closes its connection. */
export async function hubRevokeCommand(device: string, options: DirOptions & { reason: string }): Promise<number> {
  if (!options.reason || options.reason.trim() === '') throw new CliError('--reason is required: say why the device is revoked');
  const serials = await withHub(options, async (db) => {
    if (!(await deviceExists(db, device))) throw new CliError(`the hub knows no device ${JSON.stringify(device)}`);
    return db.write((sql) => revokeDeviceCertificates(sql, device, options.reason, Date.now()));
  });
  if (options.json) out(JSON.stringify({ device, revoked: serials }));
  else out(serials.length === 0 ? `${device} has no unrevoked certificate` : `revoked ${serials.length} certificate(s) of ${device}: ${serials.join(', ')}`);
  return 0;
}

export interface HubSendOptions extends DirOptions {
  readId?: string;
  caseNumber?: string;
  reason?: string;
  plate?: string;
  /** Who asks (default the OS user). */
  by?: string;
  /** hotlist: the list's name, the snapshot (text, or a file holding it), and its signature (base64). */
  list?: string;
  snapshot?: string;
  file?: string;
  signature?: string;
  /** Seconds to wait for the reply (default 30); 0 queues and returns. */
  wait?: number;
}

/** `sightline hub send DEVICE COMMAND`: queues a command, waits for the reply and prints it. */
export async function hubSendCommand(device: string, name: string, options: HubSendOptions): Promise<number> {
  const by = options.by ?? userInfo().username;
  const command = buildCommand(name, by, options);
  const waitS = options.wait ?? 30;
  if (!(waitS >= 0)) throw new CliError('--wait must be 0 or more seconds');
  return withHub(options, async (db) => {
    if (!(await deviceExists(db, device))) throw new CliError(`the hub knows no device ${JSON.stringify(device)}`);
    const id = await db.write((sql) => queueCommand(sql, device, command, by, Date.now()));
    if (waitS === 0) {
      out(options.json ? JSON.stringify({ id, device, command: name, queued: true }) : `queued ${name} command ${id} for ${device}`);
      return 0;
    }
    const deadline = Date.now() + waitS * 1000;
    let row: CommandRow | null = await getCommand(db, id);
    while (row !== null && row.repliedAt === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      row = await getCommand(db, id);
    }
    if (row === null || row.reply === null) {
      out(options.json ? JSON.stringify({ id, device, command: name, reply: null }) : `no reply from ${device} within ${waitS} s; command ${id} stays queued and is sent when the device connects`);
      return 1;
    }
    const reply = row.reply;
    if (options.json) out(JSON.stringify({ id, device, command: name, reply }));
    else if (!reply.ok) out(`${device} refused ${name} (${reply.error.code}): ${reply.error.message}`);
    else if (name === 'health') healthLines(reply.result as HealthReport).forEach((line) => out(line));
    else out(`${device}: ${name} done ${JSON.stringify(reply.result)}`);
    return reply.ok ? 0 : 1;
  });
}

const NAMES: readonly CommandName[] = ['health', 'hold', 'release', 'delete', 'correct', 'hotlist'];

function buildCommand(name: string, by: string, o: HubSendOptions): Command {
  if (!(NAMES as readonly string[]).includes(name)) throw new CliError(`unknown command ${JSON.stringify(name)}; one of ${NAMES.join(', ')}`);
  const raw: Record<CommandName, Record<string, unknown>> = {
    health: { name },
    hold: { name, readId: o.readId, caseNumber: o.caseNumber, reason: o.reason, by },
    release: { name, readId: o.readId, by },
    delete: { name, readId: o.readId, reason: o.reason, by },
    correct: { name, readId: o.readId, plate: o.plate, reason: o.reason, by },
    hotlist: hotlistCommand(o),
  };
  const parsed = commandSchema.safeParse(raw[name as CommandName]);
  if (!parsed.success) {
    throw new CliError(`${name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || name} ${i.message === 'Invalid input: expected string, received undefined' ? 'is required' : i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** A hotlist push: the snapshot, signed with the fleet CA's key (the devices pin its certificate) unless a signature is given. */
function hotlistCommand(o: HubSendOptions): Record<string, unknown> {
  const snapshot = o.snapshot ?? (o.file === undefined ? undefined : readSnapshot(o.file));
  let signature = o.signature ?? null;
  if (signature === null && snapshot !== undefined) {
    const dir = path.resolve(o.dir ?? DEFAULT_HUB_DIR);
    try {
      signature = signSnapshot(snapshot, loadFleetCa(dir).keyPem);
    } catch (err) {
      throw new CliError(`cannot sign the hotlist with the fleet CA in ${dir}: ${(err as Error).message}`);
    }
  }
  return { name: 'hotlist', list: o.list, snapshot, signature };
}

function readSnapshot(file: string): string {
  try {
    if (statSync(file).size > LIMITS.hotlistBytes) throw new Error(`larger than ${LIMITS.hotlistBytes} bytes`);
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the hotlist snapshot ${file}: ${(err as Error).message}`);
  }
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
