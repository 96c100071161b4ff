/**
 * A raw `ws` client playing a device against the hub in tests: real TLS, real certificates, the
 * protocol spoken by hand so a test can send anything, valid or hostile.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { HealthReport } from '../../../firmware/health/health-report';
import { encodeMessage, MAX_MESSAGE_BYTES, parseHubMessage, SUBPROTOCOL, type DeviceMessageBody, type HubMessage, type UploadRead } from '../../../firmware/uplink/protocol';
import type { CaMaterial } from '../../../ops/fleet/certificate-authority';
import type { Credentials } from '../../support/test-pki';

export interface ConnectOptions {
  /** The device's key and certificate; null: none presented. */
  credentials: Credentials | null;
  ca: CaMaterial;
  /** Subprotocols offered (default the protocol's). */
  protocols?: string[];
}

export type Attempt = { opened: true; device: TestDevice } | { opened: false; status: number | null; error: string };

export class TestDevice {
  private readonly received: HubMessage[] = [];
  private waiters: { match: (m: HubMessage) => boolean; resolve: (m: HubMessage) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const parsed = parseHubMessage(data, isBinary);
      if (!parsed.ok) throw new Error(`the hub sent something the protocol refuses: ${parsed.code} ${parsed.reason}`);
      this.deliver(parsed.message);
    });
    ws.on('error', () => undefined); // a refused or cut connection ends in 'close', which tests await
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })));
  }

  /** Connects; resolves whether the hub accepted the device, never rejects. */
  static attempt(port: number, o: ConnectOptions): Promise<Attempt> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`wss://localhost:${port}/`, o.protocols ?? [SUBPROTOCOL], {
        ca: o.ca.certPem,
        key: o.credentials?.keyPem,
        cert: o.credentials?.certPem,
        maxPayload: MAX_MESSAGE_BYTES,
        handshakeTimeout: 10_000,
      });
      const device = new TestDevice(ws);
      let settled = false;
      const settle = (a: Attempt) => {
        if (!settled) resolve(a);
        settled = true;
      };
      ws.once('open', () => settle({ opened: true, device }));
      ws.once('unexpected-response', (_req, res) => {
        settle({ opened: false, status: res.statusCode ?? null, error: `HTTP ${res.statusCode}` });
        ws.terminate();
      });
      ws.once('error', (err) => settle({ opened: false, status: null, error: err.message }));
      ws.once('close', (code) => settle({ opened: false, status: null, error: `closed ${code} before opening` }));
    });
  }

  static async connect(port: number, o: ConnectOptions): Promise<TestDevice> {
    const attempt = await TestDevice.attempt(port, o);
    if (!attempt.opened) throw new Error(`the hub refused the device: ${attempt.error}`);
    return attempt.device;
  }

  /** The first message (received or to come) that matches, removed from the mailbox. */
  next<T extends HubMessage['type']>(type: T, match: (m: Extract<HubMessage, { type: T }>) => boolean = () => true): Promise<Extract<HubMessage, { type: T }>> {
    const test = (m: HubMessage): boolean => m.type === type && match(m as Extract<HubMessage, { type: T }>);
    const index = this.received.findIndex(test);
    if (index >= 0) return Promise.resolve(this.received.splice(index, 1)[0] as Extract<HubMessage, { type: T }>);
    return new Promise((resolve) => this.waiters.push({ match: test, resolve: (m) => resolve(m as Extract<HubMessage, { type: T }>) }));
  }

  /** Every message received and not taken by next(). */
  mailbox(): readonly HubMessage[] {
    return this.received;
  }

  send(body: DeviceMessageBody): void {
    this.ws.send(encodeMessage(body));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** Answers every `command` with `answer(command)` from now on. */
  autoReply(answer: (m: Extract<HubMessage, { type: 'command' }>) => DeviceMessageBody): void {
    const loop = async () => {
      while (this.ws.readyState === WebSocket.OPEN) {
        const command = await this.next('command');
        if (this.ws.readyState === WebSocket.OPEN) this.send(answer(command));
      }
    };
    void loop();
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000, 'test done');
    const timer = setTimeout(() => this.ws.terminate(), 1000);
    await this.closed;
    clearTimeout(timer);
  }

  private deliver(message: HubMessage): void {
    const waiter = this.waiters.find((w) => w.match(message));
    if (waiter) {
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.resolve(message);
    } else {
      this.received.push(message);
    }
  }
}

/** A read as a device uploads it, with a crop of `cropBytes` random bytes. */
export function uploadRead(id: string, o: { dataClass?: 'read' | 'hit'; cropBytes?: number; plate?: string; alert?: UploadRead['alert'] } = {}): UploadRead {
  const now = Date.now();
  return {
    id,
    dataClass: o.dataClass ?? 'read',
    plate: o.plate ?? 'ABC123',
    confidence: 0.97,
    alternatives: [{ plate: 'A8C123', confidence: 0.02 }],
    crop: randomBytes(o.cropBytes ?? 2048).toString('base64'),
    quad: [
      { x: 10, y: 20 },
      { x: 110, y: 20 },
      { x: 110, y: 50 },
      { x: 10, y: 50 },
    ],
    firstSeen: now - 500,
    lastSeen: now,
    frameCount: 4,
    sourceId: 'cam-0',
    format: null,
    held: false,
    originalPlate: null,
    alert: o.alert ?? null,
  };
}

/** A health report that passes healthReportSchema. */
export function healthReport(deviceId: string): HealthReport {
  return {
    deviceId,
    time: Date.now(),
    software: { version: '0.1.0', node: process.version },
    system: {
      uptimeS: 3600,
      processUptimeS: 600,
      load: [0.5, 0.4, 0.3],
      memory: { totalBytes: 4e9, availableBytes: 2e9, processRssBytes: 2e8 },
      disk: { path: '/data', totalBytes: 64e9, freeBytes: 40e9 },
      cpuTemperatureC: 51.5,
    },
    camera: { source: 'rtsp://cam', fps: 14.8, frames: 8880, dropped: 3 },
    recognizer: { latencyMsMedian: 85, latencyMsP95: 140, failed: 0, stillFrames: 5200 },
    store: { reads: 120, bytes: 2.4e6, ringBytes: 2.4e6, ringQuotaBytes: 1e9, protectedBytes: 0, protectedQuotaBytes: 1e8, lostNotUploaded: 0, lostReads: 0, unreadableSkipped: 0 },
    uplink: { queueDepth: 2, lastUploadAt: Date.now() - 1000, certificateNotAfter: Date.now() + 86_400_000, reconnects: 1 },
  };
}
