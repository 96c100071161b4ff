/**
 * The device's one connection to central: a WebSocket over mutual TLS (the device's key and
 * certificate; only the pinned central CA trusted; the hub's name checked by Node's default
 * check), subprotocol sightline.v1, bounded frames. It uploads reads (upload-sender.ts), answers
 * central's commands (command-handler.ts), renews the certificate over the open connection,
 * detects a dead hub by heartbeat (heartbeat.ts) and reconnects with full-jitter backoff
 * (backoff.ts). Nothing a hub sends can crash it: bad messages are refused with an `error`
 * reply and logged, bad frames close the connection, and it reconnects.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ConnectionOptions } from 'node:tls';
import WebSocket from 'ws';
import type { Logger } from '../../drivers/log';
import type { DeviceIdentity } from '../../provisioning/identity-files';
import { Backoff } from './backoff';
import type { CommandHandler, CommandReply } from './command-handler';
import { Heartbeat } from './heartbeat';
import { encodeMessage, LIMITS, MAX_MESSAGE_BYTES, parseHubMessage, SUBPROTOCOL, type DeviceMessageBody, type HubMessage, type Lane, type RefusalCode } from './protocol';
import { UploadSender, type UploadSenderStats, type UploadSource } from './upload-sender';
import { resolveUplinkOptions, type ResolvedUplinkOptions, type UplinkOptions } from './uplink-options';

/** What the uplink needs of the identity: re-read at every connect, so a renewed certificate is used. */
export type UplinkIdentity = Pick<DeviceIdentity, 'deviceId' | 'keyPem' | 'certPem' | 'caPem'>;

export type UplinkErrorCode = 'UPLINK_NOT_CONNECTED' | 'UPLINK_DISCONNECTED' | 'UPLINK_TIMEOUT' | 'UPLINK_REFUSED' | 'UPLINK_STOPPED';

export class UplinkError extends Error {
  constructor(
    readonly code: UplinkErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UplinkError';
  }
}

export interface UplinkClientOptions {
  identity: () => UplinkIdentity;
  store: UploadSource;
  commands: Pick<CommandHandler, 'handle'>;
  options: UplinkOptions;
  log: Logger;
  /** Backoff jitter source, [0, 1). */
  random?: () => number;
  now?: () => number;
}

export interface UplinkStats extends UploadSenderStats {
  connected: boolean;
  /** When the current connection was welcomed, ms since the epoch. */
  connectedSince: number | null;
  /** Connections welcomed after the first one. */
  reconnects: number;
  /** Attempts that ended before the hub's welcome (refused, unreachable, TLS failure). */
  connectFailures: number;
  /** Why the last connection or attempt ended. */
  lastError: string | null;
  /** Hub messages refused (malformed, unknown, invalid, binary, unexpected ack). */
  refusedMessages: number;
  /** Commands answered. */
  replies: number;
}

export interface UplinkEvents {
  /** The hub welcomed the device. */
  connected: [];
  /** A welcomed connection ended. */
  disconnected: [reason: string];
  /** A reconnect is scheduled after `delayMs` (after a failed attempt or a lost connection). */
  retrying: [reason: string, delayMs: number];
  /** Central acknowledged these reads; they are marked uploaded. */
  /** Central's acknowledgement of these reads arrived; they are being marked uploaded. */
  ackReceived: [ids: string[], lane: Lane];
  acked: [ids: string[], lane: Lane];
}

interface Connection {
  ws: WebSocket;
  /** The device id of the identity this connection presented. */
  deviceId: string;
  welcomed: boolean;
  welcomedAt: number | null;
  /** The first reason it ended (a TLS error, a heartbeat timeout, ...). */
  reason: string | null;
  heartbeat: Heartbeat;
  welcomeTimer: NodeJS.Timeout | null;
}

interface PendingRenewal {
  resolve: (certificatePem: string) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class UplinkClient extends EventEmitter<UplinkEvents> {
  private readonly options: ResolvedUplinkOptions;
  private readonly backoff: Backoff;
  private readonly sender: UploadSender;
  private readonly now: () => number;
  private readonly log: Logger;
  private conn: Connection | null = null;
  private started = false;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly renewals = new Map<string, PendingRenewal>();
  private readonly tasks = new Set<Promise<unknown>>();
  private everConnected = false;
  private closed: (() => void) | null = null;
  private readonly counters = { reconnects: 0, connectFailures: 0, refusedMessages: 0, replies: 0 };
  private lastError: string | null = null;

  constructor(private readonly o: UplinkClientOptions) {
    super();
    this.options = resolveUplinkOptions(o.options);
    this.log = o.log;
    this.now = o.now ?? Date.now;
    this.backoff = new Backoff(this.options.backoff, o.random ?? Math.random);
    this.sender = new UploadSender(
      o.store,
      { batchReads: this.options.batchReads, windowBatches: this.options.windowBatches, maxBufferedBytes: this.options.maxBufferedBytes, refusedRetryMs: this.options.refusedRetryMs, alertAckTimeoutMs: this.options.alertAckTimeoutMs },
      this.log,
      this.now,
    );
    this.sender.on('ackReceived', (ids, lane) => this.emitSafely('ackReceived', ids, lane));
    this.sender.on('acked', (ids, lane) => this.emitSafely('acked', ids, lane));
  }

  /** Connects, and keeps reconnecting until stop(). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.connect();
  }

  /** Closes the connection and waits for the work in progress (acks being marked, commands) to end. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const conn = this.conn;
    if (conn !== null) {
      const closed = new Promise<void>((resolve) => (this.closed = resolve));
      conn.reason ??= 'stopped';
      conn.ws.close(1000, 'device stopping');
      // A hub that does not answer the close handshake is not waited for.
      const force = setTimeout(() => conn.ws.terminate(), 2000);
      await closed;
      clearTimeout(force);
    }
    this.failRenewals(new UplinkError('UPLINK_STOPPED', 'the uplink stopped before the hub answered the renewal'));
    await this.sender.stop();
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  /** New reads were stored: send now, alerts first. */
  notify(): void {
    this.sender.notify();
  }

  /**
   * Asks central for a certificate for this CSR over the open connection; resolves with the
   * certificate (PEM). @throws UplinkError when not connected, when the hub refuses, when the
   * connection drops or the hub does not answer within renewTimeoutMs.
   */
  renew(csrPem: string): Promise<string> {
    const conn = this.conn;
    if (conn === null || !conn.welcomed || conn.ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new UplinkError('UPLINK_NOT_CONNECTED', 'cannot renew the certificate: the uplink is not connected to the hub'));
    }
    const id = randomUUID();
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.renewals.delete(id);
        reject(new UplinkError('UPLINK_TIMEOUT', `the hub did not answer renewal ${id} within ${this.options.renewTimeoutMs} ms`));
      }, this.options.renewTimeoutMs);
      this.renewals.set(id, { resolve, reject, timer });
      if (!this.send(conn, { type: 'renew', id, csr: csrPem })) {
        this.settleRenewal(id, new UplinkError('UPLINK_NOT_CONNECTED', 'cannot renew the certificate: the connection closed'));
      }
    });
  }

  stats(): UplinkStats {
    const conn = this.conn;
    return {
      ...this.sender.stats(),
      ...this.counters,
      connected: conn !== null && conn.welcomed,
      connectedSince: conn?.welcomedAt ?? null,
      lastError: this.lastError,
    };
  }

  private connect(): void {
    this.reconnectTimer = null;
    if (this.stopped) return;
    let identity: UplinkIdentity;
    let ws: WebSocket;
    try {
      identity = this.o.identity();
      const tlsOptions: WebSocket.ClientOptions & Pick<ConnectionOptions, 'servername'> = {
        key: identity.keyPem,
        cert: identity.certPem,
        // The pinned central CA only: `ca` replaces Node's default roots, so no public CA (or an
        // interception proxy's CA installed on the system) can vouch for the hub.
        ca: identity.caPem,
        // SNI and the name Node's default checkServerIdentity checks the certificate against
        // (ws passes its options on to tls.connect; absent, ws uses the URL's host).
        servername: this.options.serverName,
        minVersion: 'TLSv1.2',
        maxPayload: MAX_MESSAGE_BYTES,
        handshakeTimeout: this.options.connectTimeoutMs,
        // No compression: it costs CPU on small boards, buys little on JPEG crops, and mixes
        // secrets with attacker-influenced data under TLS.
        perMessageDeflate: false,
        followRedirects: false,
      };
      ws = new WebSocket(this.options.url, SUBPROTOCOL, tlsOptions);
    } catch (err) {
      this.attemptFailed(`cannot connect: ${(err as Error).message}`);
      return;
    }
    const conn: Connection = {
      ws,
      deviceId: identity.deviceId,
      welcomed: false,
      welcomedAt: null,
      reason: null,
      welcomeTimer: null,
      heartbeat: new Heartbeat(
        this.options.heartbeatMs,
        () => ws.ping(),
        () => {
          conn.reason ??= `heartbeat: nothing heard from the hub for ${this.options.heartbeatMs} ms after a ping`;
          ws.terminate();
        },
      ),
    };
    this.conn = conn;
    ws.on('open', () => {
      conn.heartbeat.start();
      conn.welcomeTimer = setTimeout(() => {
        conn.reason ??= `the hub sent no welcome within ${this.options.connectTimeoutMs} ms`;
        ws.terminate();
      }, this.options.connectTimeoutMs);
    });
    ws.on('message', (data, isBinary) => {
      conn.heartbeat.heardFrom();
      try {
        this.onMessage(conn, data, isBinary);
      } catch (err) {
        // A bug here must not become an uncaught exception inside ws's receiver: drop the
        // connection and come back, as for any broken connection.
        this.log.error({ err: (err as Error).message }, 'handling a hub message threw; reconnecting');
        conn.reason ??= `internal error handling a hub message: ${(err as Error).message}`;
        ws.terminate();
      }
    });
    ws.on('pong', () => conn.heartbeat.heardFrom());
    ws.on('ping', () => conn.heartbeat.heardFrom());
    ws.on('error', (err: Error & { code?: string }) => {
      conn.reason ??= describeError(err);
    });
    ws.on('close', (code, reason) => this.onClose(conn, code, reason.toString('utf8')));
  }

  private onClose(conn: Connection, code: number, reason: string): void {
    conn.heartbeat.stop();
    if (conn.welcomeTimer !== null) clearTimeout(conn.welcomeTimer);
    if (this.conn === conn) this.conn = null;
    const why = conn.reason ?? `closed by the hub (${code}${reason ? `: ${reason}` : ''})`;
    this.lastError = why;
    this.failRenewals(new UplinkError('UPLINK_DISCONNECTED', `the connection closed before the hub answered the renewal: ${why}`));
    if (conn.welcomed) {
      this.sender.detach();
      // A connection that stayed up a heartbeat interval proved the hub well: start backoff afresh.
      if (conn.welcomedAt !== null && this.now() - conn.welcomedAt >= this.options.heartbeatMs) this.backoff.reset();
      this.log.warn({ reason: why }, 'uplink disconnected');
      this.emitSafely('disconnected', why);
    }
    if (this.stopped) {
      this.closed?.();
      return;
    }
    if (conn.welcomed) this.scheduleReconnect(why);
    else this.attemptFailed(why);
  }

  private attemptFailed(reason: string): void {
    this.counters.connectFailures++;
    this.lastError = reason;
    this.log.warn({ url: this.options.url, reason, attempt: this.backoff.attempts + 1 }, 'uplink connection failed');
    this.scheduleReconnect(reason);
  }

  private scheduleReconnect(reason: string): void {
    if (this.stopped) return;
    const delay = this.backoff.next();
    this.emitSafely('retrying', reason, delay);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private onMessage(conn: Connection, data: WebSocket.RawData, isBinary: boolean): void {
    const parsed = parseHubMessage(data, isBinary);
    if (!parsed.ok) {
      this.refuseMessage(conn, parsed.code, parsed.reason, parsed.ref, isBinary ? null : rawType(data));
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'welcome':
        this.onWelcome(conn, message);
        return;
      case 'ack':
        this.track(
          this.sender.handleAck(message.batch, message.ids).then((outcome) => {
            if (outcome === 'unexpected') {
              this.refuseMessage(conn, 'UNEXPECTED_ACK', `no batch ${message.batch} is waiting for an ack on this connection (replayed or unknown); ignored`, message.batch, 'ack');
            }
          }),
        );
        return;
      case 'command':
        this.track(this.o.commands.handle(message.id, message.command).then((reply) => this.reply(conn, message.id, reply)));
        return;
      case 'renewed':
        if (!this.settleRenewal(message.id, null, message.certificate)) {
          this.refuseMessage(conn, 'INVALID', `no renewal ${message.id} is waiting for a certificate; ignored`, message.id, 'renewed');
        }
        return;
      case 'error':
        this.onHubError(message);
        return;
    }
  }

  private onWelcome(conn: Connection, message: Extract<HubMessage, { type: 'welcome' }>): void {
    if (conn.welcomed) {
      this.log.warn({ deviceId: message.deviceId }, 'hub sent a second welcome; ignored');
      return;
    }
    if (message.deviceId !== conn.deviceId) {
      this.log.warn({ hubSays: message.deviceId, device: conn.deviceId }, 'hub welcomed the device under another id');
    }
    if (conn.welcomeTimer !== null) clearTimeout(conn.welcomeTimer);
    conn.welcomeTimer = null;
    conn.welcomed = true;
    conn.welcomedAt = this.now();
    if (this.everConnected) this.counters.reconnects++;
    this.everConnected = true;
    this.log.info({ url: this.options.url, deviceId: conn.deviceId, clockSkewMs: this.now() - message.time }, 'uplink connected');
    this.emitSafely('connected');
    this.sender.attach({
      send: (text, written) => {
        if (conn.ws.readyState !== WebSocket.OPEN) return false;
        conn.ws.send(text, () => written());
        return true;
      },
      bufferedAmount: () => conn.ws.bufferedAmount,
    });
  }

  private onHubError(message: Extract<HubMessage, { type: 'error' }>): void {
    const { ref, error } = message;
    // Never answered with an error of our own: two sides refusing each other's refusals would loop.
    if (ref !== null && this.settleRenewal(ref, new UplinkError('UPLINK_REFUSED', `the hub refused the renewal: ${error.code}: ${error.message}`))) return;
    if (ref !== null && this.sender.handleRefusal(ref, error.code, error.message)) return;
    this.log.warn({ ref, code: error.code, reason: error.message }, 'hub refused a message');
  }

  /**
   * A hub message this side cannot accept: logged, counted and answered. An invalid command is
   * answered with a refused `reply` (central waits for a reply to every command); anything else
   * with an `error`, except an `error` itself.
   */
  private refuseMessage(conn: Connection, code: RefusalCode, reason: string, ref: string | null, type: string | null): void {
    this.counters.refusedMessages++;
    this.log.warn({ code, reason, ref, type }, 'refused a message from the hub');
    if (type === 'error') return;
    if (type === 'renewed' && ref !== null) this.settleRenewal(ref, new UplinkError('UPLINK_REFUSED', `the hub's answer to the renewal is invalid: ${reason}`));
    if (type === 'command' && ref !== null) {
      this.reply(conn, ref, { ok: false, error: { code, message: reason } });
      return;
    }
    this.send(conn, { type: 'error', ref, error: { code, message: reason.slice(0, 2000) } });
  }

  private reply(conn: Connection, id: string, reply: CommandReply): void {
    this.counters.replies++;
    // A reply that cannot be sent (the connection dropped) is not lost for good: central resends
    // the command after the reconnect and gets the cached reply.
    this.send(conn, reply.ok ? { type: 'reply', id, ok: true, result: reply.result } : { type: 'reply', id, ok: false, error: reply.error });
  }

  private send(conn: Connection, body: DeviceMessageBody): boolean {
    if (conn.ws.readyState !== WebSocket.OPEN) return false;
    conn.ws.send(encodeMessage(body), (err) => {
      if (err) this.log.debug({ type: body.type, err: err.message }, 'message not sent: the connection closed');
    });
    return true;
  }

  /** Settles a pending renewal with an error or a certificate; false when none has this id. */
  private settleRenewal(id: string, err: Error | null, certificatePem?: string): boolean {
    const pending = this.renewals.get(id);
    if (pending === undefined) return false;
    this.renewals.delete(id);
    clearTimeout(pending.timer);
    if (err !== null) pending.reject(err);
    else pending.resolve(certificatePem as string);
    return true;
  }

  private failRenewals(err: Error): void {
    for (const id of [...this.renewals.keys()]) this.settleRenewal(id, err);
  }

  private track(work: Promise<unknown>): void {
    const guarded = work.catch((err: Error) => this.log.error({ err: err.message }, 'handling a hub message failed'));
    this.tasks.add(guarded);
    void guarded.finally(() => this.tasks.delete(guarded));
  }

  /** A throwing listener must not break the connection's handling. */
  private emitSafely<K extends keyof UplinkEvents>(event: K, ...args: UplinkEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: UplinkEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.log.error({ event, err: (err as Error).message }, 'an uplink event listener threw');
    }
  }
}

function describeError(err: Error & { code?: string }): string {
  return err.code !== undefined ? `${err.code}: ${err.message}` : err.message;
}

/** The `type` of a message that failed to parse, to choose how to refuse it; null when unknown. */
function rawType(data: WebSocket.RawData): string | null {
  try {
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string') return (value as { type: string }).type.slice(0, LIMITS.idChars);
  } catch {
    // Not JSON: no type.
  }
  return null;
}
