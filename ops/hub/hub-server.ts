/**
 * The reference central hub: a WebSocket server over mutual TLS (client certificates from the
 * fleet CA required, revoked ones refused), storing reads idempotently in hub.sqlite before it
 * acks them, alerts ahead of backlog, sending queued commands (health pulls on connect and on a
 * schedule) and storing the replies, renewing device certificates, and enrolling devices (when
 * its enrollment listener is on; see enrollment-server.ts).
 */
import { EventEmitter } from 'node:events';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Logger } from '../../drivers/log';
import { silentLogger } from '../../drivers/log';
import { healthReportSchema, type HealthReport } from '../../firmware/health/health-report';
import { commandSchema, MAX_MESSAGE_BYTES, SUBPROTOCOL, type Command, type UploadRead } from '../../firmware/uplink/protocol';
import { certificateFacts } from '../../provisioning/certificates';
import { issueDeviceCertificate, type CaMaterial } from '../fleet/certificate-authority';
import { certificateStatus, recordCertificate, revokeDeviceCertificates, revokedSince } from './certificates-table';
import { commandBody, getCommand, markSent, openCommands, queueCommand, queueHealthPull, storeReply, type StoredReply } from './commands-table';
import { CLOSE_CODES, DeviceConnection, type ConnectionHandlers, type ReadsMessage, type ReplyMessage } from './device-connection';
import { markConnected, markDisconnected, markEnrolled, resetConnected } from './devices-table';
import { HEALTH_RETENTION_MS, pruneHealth, storeHealth } from './health-table';
import { HubDatabase, type HubTables } from './hub-database';
import { LaneQueue } from './lane-queue';
import type { PeerIdentity } from './peer-identity';
import { checkUpgrade } from './peer-identity';
import { ReadBatchWriter, type BatchResult } from './read-batches';
import { ensureServerCertificate, type ServerCredentials } from './server-certificate';

const DAY_MS = 86_400_000;
export const HUB_DEFAULTS = {
  host: '127.0.0.1',
  port: 8443,
  hostnames: ['localhost', '127.0.0.1'] as readonly string[],
  certLifetimeMs: 90 * DAY_MS,
  heartbeatMs: 15_000,
  healthIntervalMs: 5 * 60_000,
  commandPollMs: 200,
} as const;

/** A reply larger than this is not stored as sent (replies are small; a device must not fill the hub's disk). */
const MAX_STORED_REPLY_CHARS = 256 * 1024;
/** Revocations are looked for this far back at each poll, so one made while a device was being admitted is not missed. */
const REVOCATION_LOOKBACK_MS = 60_000;
/** How long close() lets devices answer the close handshake before cutting them off. */
const CLOSE_GRACE_MS = 1_000;

export interface HubServerOptions {
  /** The hub's directory: hub.sqlite, hub.key/hub.crt, enrollment-tokens.sqlite. Made 0700. */
  dir: string;
  /** The fleet CA: verifies device certificates, issues the hub's and renewed devices'. */
  ca: CaMaterial;
  /** Where the WebSocket server listens (loopback by default); port 0 picks a free one. */
  host?: string;
  port?: number;
  /** The names in the hub's server certificate (devices check the one they connect to). */
  hostnames?: readonly string[];
  /** The enrollment listener (TLS-PSK with one-time tokens); null or absent: none. */
  enroll?: { host: string; port: number } | null;
  /** The URL enrolled devices are told to connect to; default wss://<first hostname>:<port>. */
  uplinkUrl?: string;
  /** Lifetime of the device certificates the hub issues (enrollment, renewal). */
  certLifetimeMs?: number;
  /** A WebSocket ping every this often; a device silent for two intervals is cut off. */
  heartbeatMs?: number;
  /** Health pulled from every connected device this often (and on connect); 0: on connect only. */
  healthIntervalMs?: number;
  /** How often the commands and revocations tables are polled (other processes write them). */
  commandPollMs?: number;
  log?: Logger;
}

export interface HubStats {
  connected: number;
  /** Batches received (stored, being stored, or queued). */
  received: number;
  /** Batches committed. */
  batches: number;
  readsStored: number;
  /** Alerts newly stored (with their matches, advisory and frame). */
  alertsStored: number;
  duplicates: number;
  refusedUpgrades: number;
  refusedHandshakes: number;
  /** Write tasks waiting, per lane (backlog includes the hub's own bookkeeping writes). */
  queued: { alert: number; backlog: number };
}

/**
 * Events: 'connected' (deviceId), 'disconnected' (deviceId, code), 'stored' (deviceId, batchId,
 * lane, BatchResult), 'alert' (deviceId, UploadRead) once for each alert newly stored (after its
 * batch committed; never for a duplicate), 'reply' (deviceId, commandId, StoredReply), 'health' (deviceId, HealthReport),
 * 'refused' (reason) for an upgrade refused after TLS.
 */
export class HubServer extends EventEmitter {
  private readonly connections = new Map<string, DeviceConnection>();
  private readonly lanes = new LaneQueue();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly counters = { received: 0, batches: 0, readsStored: 0, alertsStored: 0, duplicates: 0, refusedUpgrades: 0, refusedHandshakes: 0 };
  private polling = false;
  private pollAgain = false;
  private closing: Promise<void> | null = null;
  private enrollment: { port: number; close(): Promise<void> } | null = null;
  private readonly handlers: ConnectionHandlers;
  /**
   * The tables for everything but read batches: writes queue in the backlog lane of the write
   * queue, so a burst of them (500 devices reconnecting) never delays an alert batch.
   */
  private readonly tables: HubTables;

  private constructor(
    private readonly o: Required<Omit<HubServerOptions, 'enroll' | 'uplinkUrl'>> & Pick<HubServerOptions, 'enroll' | 'uplinkUrl'>,
    private readonly db: HubDatabase,
    private readonly writer: ReadBatchWriter,
    private readonly server: https.Server,
    private readonly wss: WebSocketServer,
    private credentials: ServerCredentials,
  ) {
    super();
    this.tables = { read: (fn) => db.read(fn), write: (fn) => this.lanes.enqueue('backlog', () => db.write(fn)) };
    this.handlers = {
      storeBatch: (connection, message) => this.storeBatch(connection, message),
      reply: (connection, message) => this.onReply(connection, message),
      renew: (connection, csr) => this.renew(connection, csr),
      closed: (connection, code, reason) => this.onClosed(connection, code, reason),
    };
  }

  static async start(options: HubServerOptions): Promise<HubServer> {
    const o = {
      host: HUB_DEFAULTS.host,
      port: HUB_DEFAULTS.port,
      hostnames: HUB_DEFAULTS.hostnames,
      certLifetimeMs: HUB_DEFAULTS.certLifetimeMs,
      heartbeatMs: HUB_DEFAULTS.heartbeatMs,
      healthIntervalMs: HUB_DEFAULTS.healthIntervalMs,
      commandPollMs: HUB_DEFAULTS.commandPollMs,
      log: silentLogger,
      ...stripUndefined(options),
    };
    const credentials = await ensureServerCertificate({ dir: o.dir, ca: o.ca, hostnames: o.hostnames, log: o.log });
    const db = await HubDatabase.open(o.dir, { log: o.log, create: true });
    let writer: ReadBatchWriter | null = null;
    try {
      await db.write(resetConnected);
      await db.checkpointInBackground();
      writer = await ReadBatchWriter.prepare(db);
      const server = https.createServer(tlsOptions(o.ca, credentials));
      const wss = new WebSocketServer({
        noServer: true,
        maxPayload: MAX_MESSAGE_BYTES,
        perMessageDeflate: false,
        clientTracking: false,
        handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
      });
      const hub = new HubServer(o, db, writer, server, wss, credentials);
      await hub.listen();
      if (o.enroll) await hub.startEnrollment(o.enroll);
      hub.startTimers();
      o.log.info({ host: o.host, port: hub.port, enrollPort: hub.enrollPort, hostnames: o.hostnames }, 'hub listening');
      return hub;
    } catch (err) {
      await writer?.close().catch(() => undefined);
      await db.close().catch(() => undefined);
      throw err;
    }
  }

  /** The WebSocket (wss://) port. */
  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** The enrollment (https://, TLS-PSK) port, or null when enrollment is off. */
  get enrollPort(): number | null {
    return this.enrollment?.port ?? null;
  }

  /** The fleet CA certificate the hub's certificate chains to (devices pin it). */
  get caCertPem(): string {
    return this.o.ca.certPem;
  }

  get serverCertificatePem(): string {
    return this.credentials.certPem;
  }

  connectedDevices(): string[] {
    return [...this.connections.keys()].sort();
  }

  stats(): HubStats {
    return { connected: this.connections.size, ...this.counters, queued: this.lanes.depth() };
  }

  /** Resolves once no write (batch or bookkeeping) is queued or running. */
  idle(): Promise<void> {
    return this.lanes.idle();
  }

  /** Queues a command for the device (sent when it is connected); returns its id. */
  async queueCommand(deviceId: string, command: Command, by = 'hub'): Promise<string> {
    const valid = commandSchema.parse(command);
    const id = await this.tables.write((sql) => queueCommand(sql, deviceId, valid, by, Date.now()));
    this.pollSoon();
    return id;
  }

  /** Revokes every certificate of the device and closes its connection; returns the serials revoked. */
  async revokeDevice(deviceId: string, reason: string): Promise<string[]> {
    const serials = await this.tables.write((sql) => revokeDeviceCertificates(sql, deviceId, reason, Date.now()));
    const connection = this.connections.get(deviceId);
    if (connection && serials.includes(connection.identity.serial)) this.kick(connection, reason);
    return serials;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.timers.forEach((t) => clearInterval(t));
    const connections = [...this.connections.values()];
    const closed = connections.map((c) => new Promise<void>((resolve) => c.onceClosed(resolve)));
    connections.forEach((c) => c.close(CLOSE_CODES.going, 'hub shutting down'));
    this.server.close();
    this.wss.close();
    if (connections.length > 0) {
      const grace = setTimeout(() => connections.forEach((c) => c.terminate()), CLOSE_GRACE_MS);
      await Promise.all(closed);
      clearTimeout(grace);
    }
    this.server.closeAllConnections();
    await this.enrollment?.close().catch((err: Error) => this.o.log.error({ err: err.message }, 'closing the enrollment listener failed'));
    // Batches already received are committed (their devices resend them anyway, unacked).
    await this.lanes.idle();
    while (this.polling) await new Promise((resolve) => setTimeout(resolve, 10));
    await this.writer.close();
    await this.db.close();
    this.o.log.info({}, 'hub stopped');
  }

  private listen(): Promise<void> {
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.server.on('request', (_req, res) => {
      res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close', Upgrade: 'websocket' });
      res.end(`this is a Sightline hub: connect with a WebSocket, subprotocol ${SUBPROTOCOL}\n`);
    });
    this.server.on('tlsClientError', (err: Error & { code?: string }, socket) => {
      this.counters.refusedHandshakes++;
      this.o.log.warn({ address: socket.remoteAddress, code: err.code, err: err.message }, 'TLS handshake refused');
    });
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(new Error(`the hub cannot listen on ${this.o.host}:${this.o.port}: ${err.message}`));
      this.server.once('error', onError);
      this.server.listen(this.o.port, this.o.host, () => {
        this.server.off('error', onError);
        this.server.on('error', (err) => this.o.log.error({ err: err.message }, 'hub server error'));
        resolve();
      });
    });
  }

  private async startEnrollment(at: { host: string; port: number }): Promise<void> {
    const { startHubEnrollment } = await import('./hub-enrollment');
    this.enrollment = await startHubEnrollment({
      dir: this.o.dir,
      ca: this.o.ca,
      host: at.host,
      port: at.port,
      uplinkUrl: this.o.uplinkUrl ?? `wss://${urlHost(this.o.hostnames[0])}:${this.port}`,
      certLifetimeMs: this.o.certLifetimeMs,
      log: this.o.log.child({ listener: 'enrollment' }),
      onEnrolled: (deviceId, certPem) => this.onEnrolled(deviceId, certPem),
    });
  }

  private startTimers(): void {
    this.timers.push(setInterval(() => this.poll(), this.o.commandPollMs));
    this.timers.push(setInterval(() => this.heartbeat(), this.o.heartbeatMs));
    if (this.o.healthIntervalMs > 0) this.timers.push(setInterval(() => this.pullHealth(), this.o.healthIntervalMs));
    this.timers.push(setInterval(() => this.checkServerCertificate(), DAY_MS));
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Until ws owns the socket, a reset must not become an unhandled 'error'.
    socket.on('error', (err) => this.o.log.debug({ err: err.message }, 'socket error during the upgrade'));
    if (this.closing) return this.refuseUpgrade(socket, 503, 'the hub is shutting down');
    const check = checkUpgrade(req);
    if (!check.ok) return this.refuseUpgrade(socket, check.status, check.reason);
    this.admit(check.identity).then(
      (refusal) => {
        if (refusal !== null) return this.refuseUpgrade(socket, 403, refusal);
        if (socket.destroyed || this.closing) return socket.destroy();
        this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, check.identity));
      },
      (err: Error) => {
        this.o.log.error({ deviceId: check.identity.deviceId, err: err.message }, 'could not check a device certificate');
        this.refuseUpgrade(socket, 503, 'the hub cannot check certificates now; try again later');
      },
    );
  }

  /** Null when the device may connect; otherwise why not. Records a certificate seen the first time. */
  private async admit(identity: PeerIdentity): Promise<string | null> {
    const status = await certificateStatus(this.tables, identity.serial);
    if (typeof status === 'object') return `certificate ${identity.serial} of ${identity.deviceId} was revoked${status.reason ? `: ${status.reason}` : ''}`;
    // Issued elsewhere (not by enrollment or renewal here): recorded first, so it can be revoked.
    if (status === 'unknown') await this.tables.write((sql) => recordCertificate(sql, { ...identity, issuedAt: null }, Date.now()));
    return null;
  }

  private refuseUpgrade(socket: Duplex, status: number, reason: string): void {
    this.counters.refusedUpgrades++;
    this.o.log.warn({ status, reason }, 'device connection refused');
    this.emit('refused', reason);
    if (!socket.writable) return void socket.destroy();
    const body = `${reason}\n`;
    socket.once('finish', () => socket.destroy());
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Refused'}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  private accept(ws: import('ws').WebSocket, identity: PeerIdentity): void {
    const log = this.o.log.child({ deviceId: identity.deviceId });
    const previous = this.connections.get(identity.deviceId);
    if (previous) previous.close(CLOSE_CODES.replaced, 'replaced by a newer connection of the same device');
    const connection = new DeviceConnection(ws, identity, this.handlers, log);
    this.connections.set(identity.deviceId, connection);
    connection.start();
    log.info({ serial: identity.serial, address: identity.address }, 'device connected');
    this.emit('connected', identity.deviceId);
    this.tables
      .write(async (sql) => {
        await markConnected(sql, identity.deviceId, identity.address, Date.now());
        await queueHealthPull(sql, identity.deviceId, Date.now());
      })
      .then(() => this.pollSoon())
      .catch((err: Error) => log.error({ err: err.message }, 'could not record the connection'));
  }

  private onClosed(connection: DeviceConnection, code: number, reason: string): void {
    const id = connection.deviceId;
    if (this.connections.get(id) !== connection) return; // replaced by a newer connection
    this.connections.delete(id);
    this.o.log.info({ deviceId: id, code, reason }, 'device disconnected');
    this.emit('disconnected', id, code);
    if (this.closing === null) this.tables.write((sql) => markDisconnected(sql, id, Date.now())).catch((err: Error) => this.o.log.error({ deviceId: id, err: err.message }, 'could not record a disconnection'));
  }

  private kick(connection: DeviceConnection, reason: string): void {
    this.o.log.warn({ deviceId: connection.deviceId, reason }, 'closing the connection of a revoked certificate');
    connection.close(CLOSE_CODES.revoked, 'certificate revoked');
    // A device that does not answer the close handshake is cut off anyway.
    setTimeout(() => connection.terminate(), CLOSE_GRACE_MS).unref();
  }

  private async storeBatch(connection: DeviceConnection, message: ReadsMessage): Promise<BatchResult> {
    this.counters.received++;
    const { newAlerts, ...result } = await this.lanes.enqueue(message.lane, () => this.writer.store(connection.deviceId, message.batch, message.lane, message.reads, Date.now()));
    this.counters.batches++;
    this.counters.readsStored += result.stored;
    this.counters.alertsStored += newAlerts.length;
    this.counters.duplicates += result.duplicates;
    if (result.duplicates > 0) this.o.log.info({ deviceId: connection.deviceId, batch: message.batch, duplicates: result.duplicates }, 'reads already stored; not stored again');
    for (const read of newAlerts) this.emitAlert(connection.deviceId, read);
    this.emit('stored', connection.deviceId, message.batch, message.lane, result);
    return result;
  }

  /** A listener that throws must not cost the batch its ack (the alert is stored). */
  private emitAlert(deviceId: string, read: UploadRead): void {
    const best = read.alert?.matches[0];
    this.o.log.info({ deviceId, readId: read.id, plate: read.plate, rule: best?.rule, list: best?.entry.list, caseNumber: best?.entry.caseNumber }, 'alert stored');
    try {
      this.emit('alert', deviceId, read);
    } catch (err) {
      this.o.log.error({ deviceId, readId: read.id, err: (err as Error).message }, "an 'alert' listener threw");
    }
  }

  private async onReply(connection: DeviceConnection, message: ReplyMessage): Promise<void> {
    const log = this.o.log.child({ deviceId: connection.deviceId, commandId: message.id });
    const command = await getCommand(this.tables, message.id);
    if (command === null || command.deviceId !== connection.deviceId) {
      log.warn({}, 'reply to a command this hub did not send the device; ignored');
      return;
    }
    if (command.repliedAt !== null) {
      log.info({}, 'second reply to a command; ignored');
      return;
    }
    let reply: StoredReply = message.ok ? { ok: true, result: message.result ?? null } : { ok: false, error: message.error };
    let health: HealthReport | null = null;
    if (command.name === 'health' && reply.ok) {
      const parsed = healthReportSchema.safeParse(reply.result);
      if (!parsed.success) reply = hubRefusal(`the health report breaks the schema: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(report)'}: ${i.message}`).join('; ')}`);
      else if (parsed.data.deviceId !== connection.deviceId) reply = hubRefusal(`the health report names device ${JSON.stringify(parsed.data.deviceId)}`);
      else health = parsed.data;
      if (!reply.ok) log.warn({ reason: reply.error.message }, 'health report refused');
    }
    const size = JSON.stringify(reply).length;
    if (size > MAX_STORED_REPLY_CHARS) reply = hubRefusal(`the reply was ${size} characters, more than the ${MAX_STORED_REPLY_CHARS} the hub stores`);
    const stored = await this.tables.write(async (sql) => {
      const now = Date.now();
      const done = await storeReply(sql, message.id, reply, now);
      if (done && health) await storeHealth(sql, connection.deviceId, message.id, health, now);
      return done;
    });
    if (!stored) return;
    this.emit('reply', connection.deviceId, message.id, reply);
    if (health) this.emit('health', connection.deviceId, health);
  }

  private async renew(connection: DeviceConnection, csrPem: string): Promise<string> {
    const now = Date.now();
    const certPem = issueDeviceCertificate(this.o.ca, csrPem, { notAfter: now + this.o.certLifetimeMs, expectedDeviceId: connection.deviceId });
    const facts = certificateFacts(certPem);
    await this.tables.write((sql) => recordCertificate(sql, { serial: facts.serial, deviceId: connection.deviceId, notBefore: facts.notBefore, notAfter: facts.notAfter, issuedAt: now }, now));
    this.o.log.info({ deviceId: connection.deviceId, serial: facts.serial, notAfter: new Date(facts.notAfter).toISOString() }, 'device certificate renewed');
    return certPem;
  }

  /** A device enrolled: record it and its certificate; its earlier certificates are revoked. */
  private async onEnrolled(deviceId: string, certPem: string): Promise<void> {
    const facts = certificateFacts(certPem);
    const now = Date.now();
    const revoked = await this.tables.write(async (sql) => {
      await markEnrolled(sql, deviceId, now);
      await recordCertificate(sql, { serial: facts.serial, deviceId, notBefore: facts.notBefore, notAfter: facts.notAfter, issuedAt: now }, now);
      return revokeDeviceCertificates(sql, deviceId, 're-enrolled', now, facts.serial);
    });
    const connection = this.connections.get(deviceId);
    if (connection && revoked.includes(connection.identity.serial)) this.kick(connection, 're-enrolled');
    this.o.log.info({ deviceId, serial: facts.serial, revokedEarlier: revoked.length }, 'device enrolled');
  }

  private pollSoon(): void {
    setImmediate(() => this.poll());
  }

  /** Sends queued commands to connected devices; closes connections whose certificate was revoked. */
  private async poll(): Promise<void> {
    if (this.closing) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    try {
      do {
        this.pollAgain = false;
        const started = Date.now();
        await this.sendCommands();
        for (const revocation of await revokedSince(this.tables, started - REVOCATION_LOOKBACK_MS)) {
          const connection = this.connections.get(revocation.deviceId);
          if (connection && connection.identity.serial === revocation.serial && connection.open) this.kick(connection, revocation.reason ?? 'revoked');
        }
      } while (this.pollAgain && !this.closing);
    } catch (err) {
      if (!this.closing) this.o.log.error({ err: (err as Error).message }, 'polling the commands and revocations failed');
    } finally {
      this.polling = false;
    }
  }

  private async sendCommands(): Promise<void> {
    const sent: string[] = [];
    for (const open of await openCommands(this.tables)) {
      const connection = this.connections.get(open.deviceId);
      if (!connection || !connection.open || connection.hasSent(open.id)) continue;
      const body = await commandBody(this.tables, open.id);
      const parsed = body === null ? null : parseCommand(body);
      if (parsed === null || !parsed.ok) {
        const reason = parsed?.ok === false ? parsed.reason : 'no body';
        this.o.log.error({ commandId: open.id, reason }, 'queued command is malformed; not sent');
        await this.tables.write((sql) => storeReply(sql, open.id, hubRefusal(`the hub did not send it: ${reason}`), Date.now()));
        continue;
      }
      if (connection.sendCommand(open.id, parsed.command)) sent.push(open.id);
    }
    if (sent.length > 0) await this.tables.write((sql) => markSent(sql, sent, Date.now()));
  }

  private heartbeat(): void {
    const now = Date.now();
    for (const connection of this.connections.values()) {
      if (connection.identity.notAfter <= now) {
        connection.close(CLOSE_CODES.expired, 'certificate expired');
        continue;
      }
      connection.heartbeat();
    }
  }

  private pullHealth(): void {
    const now = Date.now();
    const ids = [...this.connections.keys()];
    // One transaction for every device: one fsync, not one per device.
    this.tables
      .write(async (sql) => {
        for (const id of ids) await queueHealthPull(sql, id, now);
        await pruneHealth(sql, now - HEALTH_RETENTION_MS);
      })
      .then(() => this.pollSoon())
      .catch((err: Error) => this.o.log.error({ err: err.message }, 'could not queue health pulls'));
  }

  /** Daily: a server certificate within 30 days of expiry is reissued and served without a restart. */
  private checkServerCertificate(): void {
    ensureServerCertificate({ dir: this.o.dir, ca: this.o.ca, hostnames: this.o.hostnames, log: this.o.log })
      .then((credentials) => {
        if (credentials.certPem === this.credentials.certPem) return;
        this.credentials = credentials;
        this.server.setSecureContext(tlsOptions(this.o.ca, credentials));
        this.o.log.info({ notAfter: new Date(credentials.notAfter).toISOString() }, 'hub server certificate renewed');
      })
      .catch((err: Error) => this.o.log.error({ err: err.message }, 'could not renew the hub server certificate'));
  }
}

function tlsOptions(ca: CaMaterial, credentials: ServerCredentials): https.ServerOptions {
  return {
    key: credentials.keyPem,
    cert: credentials.certPem,
    // Only the fleet CA: a certificate from any other CA, public ones included, is refused.
    ca: [ca.certPem],
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  };
}

function parseCommand(body: string): { ok: true; command: Command } | { ok: false; reason: string } {
  try {
    const result = commandSchema.safeParse(JSON.parse(body));
    return result.success ? { ok: true, command: result.data } : { ok: false, reason: result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
}

function hubRefusal(message: string): StoredReply {
  return { ok: false, error: { code: 'INVALID', message: message.slice(0, 2000) } };
}

/** An IPv6 address in a URL goes in brackets. */
function urlHost(name: string): string {
  return name.includes(':') ? `[${name}]` : name;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
