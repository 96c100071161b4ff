/**
 * One connected device on the hub: parses what it sends (never throwing on what it sends),
 * answers refusals with `error`, acks batches once stored, relays commands, keeps the heartbeat.
 */
import WebSocket from 'ws';
import type { Logger } from '../../drivers/log';
import { encodeMessage, parseDeviceMessage, type Command, type DeviceMessage, type HubMessageBody, type RefusalCode } from '../../firmware/uplink/protocol';
import type { PeerIdentity } from './peer-identity';
import type { BatchResult } from './read-batches';

export type ReadsMessage = Extract<DeviceMessage, { type: 'reads' }>;
export type ReplyMessage = Extract<DeviceMessage, { type: 'reply' }>;

/** What the hub does with a connection's messages. */
export interface ConnectionHandlers {
  /** Commits the batch; resolves once it is durable. */
  storeBatch(connection: DeviceConnection, message: ReadsMessage): Promise<BatchResult>;
  reply(connection: DeviceConnection, message: ReplyMessage): Promise<void>;
  /** Signs the CSR; throws (with a reason for the device) when it is refused. */
  renew(connection: DeviceConnection, csrPem: string): Promise<string>;
  closed(connection: DeviceConnection, code: number, reason: string): void;
}

/** Batches being stored for one device before the hub stops reading its socket (TCP backpressure). */
const PAUSE_AT_PENDING = 8;
const RESUME_AT_PENDING = 4;

export const CLOSE_CODES = {
  going: 1001,
  storageFailed: 1011,
  revoked: 4001,
  replaced: 4002,
  silent: 4003,
  expired: 4004,
} as const;

export class DeviceConnection {
  readonly deviceId: string;
  readonly connectedAt = Date.now();
  private readonly sentCommands = new Set<string>();
  private pendingBatches = 0;
  private paused = false;
  private heardSinceLastPing = true;
  private closedAlready = false;

  constructor(
    private readonly ws: WebSocket,
    readonly identity: PeerIdentity,
    private readonly handlers: ConnectionHandlers,
    private readonly log: Logger,
  ) {
    this.deviceId = identity.deviceId;
  }

  /** Wires the socket and sends `welcome`. */
  start(): void {
    this.ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    this.ws.on('pong', () => (this.heardSinceLastPing = true));
    // ws reports protocol violations here (a frame over maxPayload: it closes with 1009 itself).
    this.ws.on('error', (err: Error & { code?: string }) => this.log.warn({ code: err.code, err: err.message }, 'device connection error'));
    this.ws.on('close', (code, reason) => {
      this.closedAlready = true;
      this.handlers.closed(this, code, reason.toString('utf8'));
    });
    this.send({ type: 'welcome', deviceId: this.deviceId, time: Date.now(), certificateNotAfter: this.identity.notAfter });
  }

  get open(): boolean {
    return !this.closedAlready && this.ws.readyState === WebSocket.OPEN;
  }

  hasSent(commandId: string): boolean {
    return this.sentCommands.has(commandId);
  }

  /** Calls `fn` once the socket has closed. */
  onceClosed(fn: () => void): void {
    if (this.closedAlready) fn();
    else this.ws.once('close', () => fn());
  }

  /** Sends the command unless it was sent on this connection already; returns whether it sent it. */
  sendCommand(id: string, command: Command): boolean {
    if (this.sentCommands.has(id) || !this.open) return false;
    this.sentCommands.add(id);
    this.send({ type: 'command', id, command });
    return true;
  }

  /** Called every heartbeat interval: a device that answered nothing since the last ping is gone. */
  heartbeat(): void {
    if (!this.open) return;
    // A paused socket is not read, so its pongs wait in the kernel: not silence.
    if (!this.heardSinceLastPing && !this.paused) {
      this.log.warn({ deviceId: this.deviceId }, 'device silent for two heartbeat intervals; closing the connection');
      this.ws.terminate();
      return;
    }
    this.heardSinceLastPing = false;
    this.ws.ping();
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  private send(body: HubMessageBody): void {
    if (!this.open) return;
    this.ws.send(encodeMessage(body), (err) => {
      if (err) this.log.debug({ deviceId: this.deviceId, err: err.message }, 'could not send to device');
    });
  }

  private refuse(ref: string | null, code: RefusalCode, message: string): void {
    this.log.warn({ deviceId: this.deviceId, ref, code, reason: message }, 'refused a device message');
    this.send({ type: 'error', ref, error: { code, message } });
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    this.heardSinceLastPing = true;
    try {
      this.handle(data, isBinary);
    } catch (err) {
      // A bug here must cost one message, not the hub (an uncaught throw would end the process).
      this.log.error({ deviceId: this.deviceId, err: (err as Error).message }, 'handling a device message failed');
      this.send({ type: 'error', ref: null, error: { code: 'FAILED', message: 'the hub could not handle this message' } });
    }
  }

  private handle(data: WebSocket.RawData, isBinary: boolean): void {
    const parsed = parseDeviceMessage(data, isBinary);
    if (!parsed.ok) {
      this.refuse(parsed.ref, parsed.code, parsed.reason);
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'reads':
        this.onReads(message);
        return;
      case 'reply':
        this.handlers.reply(this, message).catch((err: Error) => this.log.error({ deviceId: this.deviceId, id: message.id, err: err.message }, 'could not store a command reply'));
        return;
      case 'renew':
        this.handlers.renew(this, message.csr).then(
          (certificate) => this.send({ type: 'renewed', id: message.id, certificate }),
          (err: Error) => this.refuse(message.id, 'REFUSED', `renewal refused: ${err.message}`.slice(0, 1000)),
        );
        return;
      case 'error':
        this.log.warn({ deviceId: this.deviceId, ref: message.ref, code: message.error.code, reason: message.error.message }, 'device refused a hub message');
        return;
    }
  }

  private onReads(message: ReadsMessage): void {
    this.pendingBatches++;
    if (this.pendingBatches >= PAUSE_AT_PENDING && !this.paused && this.open) {
      this.paused = true;
      this.ws.pause();
    }
    this.handlers
      .storeBatch(this, message)
      .then(
        () => this.send({ type: 'ack', batch: message.batch, ids: message.reads.map((r) => r.id) }),
        (err: Error) => {
          // Not acked: the device keeps the reads and resends them on its next connection.
          this.log.error({ deviceId: this.deviceId, batch: message.batch, err: err.message }, 'could not store a batch of reads');
          this.send({ type: 'error', ref: message.batch, error: { code: 'FAILED', message: 'the hub could not store this batch; resend it later' } });
          this.close(CLOSE_CODES.storageFailed, 'storage failed');
        },
      )
      .finally(() => {
        this.pendingBatches--;
        if (this.paused && this.pendingBatches <= RESUME_AT_PENDING) {
          this.paused = false;
          if (this.open) this.ws.resume();
        }
      });
  }
}
