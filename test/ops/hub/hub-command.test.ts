import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { silentLogger } from '../../../drivers/log';
import { healthLines, hubDevicesCommand, hubHealthCommand, hubReadsCommand, hubRevokeCommand, hubSendCommand, hubServeCommand, parseListen } from '../../../ops/cli/hub-command';
import type { HealthReport } from '../../../firmware/health/health-report';
import { CliError } from '../../../ops/cli/cli-error';
import type { CaMaterial } from '../../../ops/fleet/certificate-authority';
import { loadFleetCa } from '../../../ops/fleet/fleet-ca-files';
import type { HubServer } from '../../../ops/hub/hub-server';
import { HubServer as Hub } from '../../../ops/hub/hub-server';
import { useTempDir } from '../../support/temp-dir';
import { deviceCredentials, testCa, type Credentials } from '../../support/test-pki';
import { healthReport, TestDevice, uploadRead } from './test-device';

/** Runs a CLI function, collecting what it prints on stdout. */
async function capture(fn: () => Promise<number>): Promise<{ code: number; lines: string[] }> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  let code: number;
  try {
    code = await fn();
  } finally {
    process.stdout.write = write;
  }
  return { code, lines: chunks.join('').split('\n').filter((l) => l !== '') };
}

describe('sightline hub commands (called directly, against a running hub)', function () {
  this.timeout(60_000);
  const tmp = useTempDir('sightline-hub-cli-');
  let ca: CaMaterial;
  let dev1: Credentials;
  let hub: HubServer;
  let device: TestDevice;
  let dir: string;

  before(async () => {
    ca = await testCa();
    dev1 = await deviceCredentials(ca, 'dev-1');
  });

  beforeEach(async () => {
    dir = tmp();
    hub = await Hub.start({ dir, ca, port: 0, healthIntervalMs: 0, log: silentLogger });
    const healthStored = new Promise((resolve) => hub.once('health', resolve));
    device = await TestDevice.connect(hub.port, { credentials: dev1, ca });
    // The device answers: health with a report, hold with done, anything else refused.
    device.autoReply((m) =>
      m.command.name === 'health'
        ? { type: 'reply', id: m.id, ok: true, result: healthReport('dev-1') }
        : m.command.name === 'hold'
          ? { type: 'reply', id: m.id, ok: true, result: { done: true } }
          : { type: 'reply', id: m.id, ok: false, error: { code: 'NOT_FOUND', message: 'no such read' } },
    );
    device.send({ type: 'reads', batch: 'b1', lane: 'backlog', reads: [uploadRead('r1', { plate: 'KLM456' }), uploadRead('r2', { dataClass: 'hit', plate: 'XYZ789' })] });
    await device.next('ack');
    await healthStored; // the pull on connect, answered
  });

  afterEach(async () => {
    await device.close();
    await hub.close();
  });

  it('devices: lists the device with its counts, as JSON and text', async () => {
    const json = await capture(() => hubDevicesCommand({ dir, json: true }));
    assert.equal(json.code, 0);
    const [row] = JSON.parse(json.lines[0]) as { deviceId: string; connected: boolean; reads: number; alerts: number; lastHealthAt: number | null; certificateNotAfter: number }[];
    assert.deepEqual([row.deviceId, row.connected, row.reads, row.alerts], ['dev-1', true, 1, 1]);
    assert.ok(row.lastHealthAt !== null);
    assert.equal(row.certificateNotAfter, Date.parse(new X509Certificate(dev1.certPem).validTo));
    const text = await capture(() => hubDevicesCommand({ dir }));
    assert.match(text.lines[0], /^dev-1 +connected .*reads 1 +alerts 1/);
  });

  it('reads: newest first, filtered by device and alerts, never the crop', async () => {
    const json = await capture(() => hubReadsCommand({ dir, json: true }));
    const rows = JSON.parse(json.lines[0]) as Record<string, unknown>[];
    assert.deepEqual(rows.map((r) => r.readId), ['r2', 'r1']);
    assert.ok(rows.every((r) => !('crop' in r) && r.cropBytes === 2048));
    const alerts = await capture(() => hubReadsCommand({ dir, alerts: true, device: 'dev-1' }));
    assert.equal(alerts.lines.length, 1);
    assert.match(alerts.lines[0], /dev-1 r2 ALERT XYZ789/);
    const none = await capture(() => hubReadsCommand({ dir, device: 'dev-9' }));
    assert.deepEqual(none.lines, ['no reads']);
  });

  it('health: the last report per device', async () => {
    const json = await capture(() => hubHealthCommand({ dir, json: true }));
    const [row] = JSON.parse(json.lines[0]) as { deviceId: string; report: HealthReport }[];
    assert.deepEqual([row.deviceId, row.report.camera.fps], ['dev-1', 14.8]);
    const text = await capture(() => hubHealthCommand({ dir, device: 'dev-1' }));
    assert.match(text.lines.join('\n'), /camera 14\.8 fps, 8880 frames, 3 dropped, 5200 still \(motion gate\); recognizer latency/);
    // A report from software before the motion gate has no still frames, and says nothing of them.
    const { stillFrames: _still, ...before } = row.report.recognizer;
    const older = healthLines({ ...row.report, recognizer: before }).join('\n');
    assert.match(older, /camera 14\.8 fps, 8880 frames, 3 dropped; recognizer latency/);
  });

  it('send: queues a command, waits for the reply and prints it; a refusal exits 1', async () => {
    const hold = await capture(() => hubSendCommand('dev-1', 'hold', { dir, readId: 'r1', caseNumber: 'C-9', reason: 'evidence', by: 'det-4', wait: 20 }));
    assert.deepEqual([hold.code, hold.lines], [0, ['dev-1: hold done {"done":true}']]);
    const release = await capture(() => hubSendCommand('dev-1', 'release', { dir, readId: 'r7', by: 'det-4', wait: 20, json: true }));
    assert.equal(release.code, 1);
    assert.deepEqual(JSON.parse(release.lines[0]).reply, { ok: false, error: { code: 'NOT_FOUND', message: 'no such read' } });
    const health = await capture(() => hubSendCommand('dev-1', 'health', { dir, wait: 20 }));
    assert.equal(health.code, 0);
    assert.match(health.lines.join('\n'), /uplink queue 2/);
  });

  it('send: refuses an unknown device, an unknown command and missing fields', async () => {
    await assert.rejects(hubSendCommand('dev-9', 'health', { dir, wait: 0 }), (err: Error) => err instanceof CliError && /no device "dev-9"/.test(err.message));
    await assert.rejects(hubSendCommand('dev-1', 'reboot', { dir }), (err: Error) => err instanceof CliError && /unknown command "reboot"/.test(err.message));
    await assert.rejects(hubSendCommand('dev-1', 'hold', { dir, readId: 'r1' }), (err: Error) => err instanceof CliError && /caseNumber is required/.test(err.message));
  });

  it('revoke: revokes the certificate; the running hub closes the device and refuses it after', async () => {
    const result = await capture(() => hubRevokeCommand('dev-1', { dir, reason: 'decommissioned' }));
    assert.equal(result.code, 0);
    assert.match(result.lines[0], /^revoked 1 certificate\(s\) of dev-1/);
    assert.equal((await device.closed).code, 4001);
    const again = await TestDevice.attempt(hub.port, { credentials: dev1, ca });
    assert.equal(again.opened, false);
    const text = await capture(() => hubDevicesCommand({ dir }));
    assert.match(text.lines[0], /^dev-1 +REVOKED/);
    await assert.rejects(hubRevokeCommand('dev-1', { dir, reason: '' }), CliError);
  });

  it('every command names a missing hub directory', async () => {
    const missing = path.join(tmp(), 'nowhere');
    await assert.rejects(hubDevicesCommand({ dir: missing }), (err: Error) => err instanceof CliError && err.message.includes(missing));
    assert.equal(existsSync(path.join(missing, 'hub.sqlite')), false, 'not created by a read-only command');
  });
});

describe('sightline hub serve (called directly)', function () {
  this.timeout(60_000);
  const tmp = useTempDir('sightline-hub-serve-');

  it('with --init makes the fleet CA, serves devices it signs, and stops on the signal', async () => {
    const dir = path.join(tmp(), 'hub');
    const stop = new AbortController();
    let port = 0;
    const serving = capture(() =>
      hubServeCommand({
        dir,
        init: true,
        listen: '127.0.0.1:0',
        enroll: false,
        logLevel: 'silent',
        signal: stop.signal,
        onListening: (hub) => (port = hub.port),
      }),
    );
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => port > 0 && (clearInterval(timer), resolve()), 20);
        serving.catch((err) => (clearInterval(timer), reject(err)));
      });
      const ca = loadFleetCa(dir);
      const device = await TestDevice.connect(port, { credentials: await deviceCredentials(ca, 'dev-3'), ca });
      assert.equal((await device.next('welcome')).deviceId, 'dev-3');
      await device.close();
    } finally {
      stop.abort();
    }
    const result = await serving;
    assert.equal(result.code, 0);
    assert.match(result.lines.join('\n'), /hub listening on wss:\/\/127\.0\.0\.1:\d+/);
  });

  it('refuses to start without a fleet CA unless --init', async () => {
    await assert.rejects(hubServeCommand({ dir: tmp(), listen: '127.0.0.1:0', enroll: false, logLevel: 'silent' }), (err: Error) => err instanceof CliError && /fleet ca init/.test(err.message));
  });

  it('parses --listen host:port, IPv6 in brackets, and names a bad one', () => {
    assert.deepEqual(parseListen('127.0.0.1:8443', '--listen'), { host: '127.0.0.1', port: 8443 });
    assert.deepEqual(parseListen('[::1]:0', '--listen'), { host: '::1', port: 0 });
    assert.throws(() => parseListen('8443', '--listen'), /--listen "8443" must be host:port/);
  });
});
