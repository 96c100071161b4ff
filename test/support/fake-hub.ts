/**
 * A small real hub for uplink tests: an HTTPS server with mutual TLS (client certificate required,
 * verified against the fleet CA) carrying a `ws` WebSocket server that speaks the protocol. Tests
 * steer it: acks sent at once, held until released, or dropped; raw text, binary or hand-made
 * frames; a connection that goes silent (a peer whose packets vanish); commands and their replies.
 * It records what it received, so tests can count batches, reads and duplicates.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { issueDeviceCertificate, type CaMaterial } from '../../ops/fleet/certificate-authority';
import { certificateFacts } from '../../provisioning/certificates';
import {
  encodeMessage,
  MAX_MESSAGE_BYTES,
  parseDeviceMessage,
  SUBPROTOCOL,
  type Command,
  type DeviceMessage,
  type HubMessageBody,
  type Lane,
  type RefusalCode,
} from '../../firmware/uplink/protocol';
import type { Credentials } from './test-pki';

export type AckMode = 'auto' | 'hold' | 'drop';

export interface FakeHubOptions {
  /** The fleet CA: client certificates must chain to it; renewals are signed by it. */
  ca: CaMaterial;
  /** The hub's own key and certificate (serverCredentials). */
  server: Credentials;
  host?: string;
  /** 0 (default) for any free port; a fixed one to restart a hub where devices expect it. */
  port?: number;
  /** auto: ack each batch on arrival; hold: keep acks until releaseAcks(); drop: never ack. */
  acks?: AckMode;
  /** Send `welcome` on accept (default true). */
  welcome?: boolean;
  /** Lifetime of certificates signed for `renew`, ms (default a day). */
  certLifetimeMs?: number;
}

export interface ReceivedBatch {
  /** Which connection (1 = the first accepted) carried it. */
  connection: number;
  batch: string;
  lane: Lane;
  ids: string[];
}

export type DeviceReply = Extract<DeviceMessage, { type: 'reply' }>;

interface HubConnection {
  n: number;
  ws: WebSocket;
  socket: TLSSocket;
  deviceId: string;
  silent: boolean;
  /** Batches received and not acked on this connection, by id. */
  outstanding: Map<string, Lane>;
}

export class FakeHub {
  acks: AckMode;
  /** Every `reads` batch received, in arrival order. */
  readonly batches: ReceivedBatch[] = [];
  /** Every valid message received, in arrival order. */
  readonly messages: DeviceMessage[] = [];
  /** Device messages the hub could not accept, with the code it answered. */
  readonly refused: { code: RefusalCode; reason: string }[] = [];
  /** `error` messages the device sent (its refusals of what the hub sent). */
  readonly deviceErrors: Extract<DeviceMessage, { type: 'error' }>[] = [];
  /** Read ids the hub acked ("committed"), each once. */
  readonly stored = new Set<string>();
  /** How many times each read id arrived. */
  readonly receivedCount = new Map<string, number>();
  /** The most batches of each lane ever outstanding (received, not acked) on one connection. */
  readonly maxOutstanding: Record<Lane, number> = { alert: 0, backlog: 0 };
  /** Close codes of ended connections, in order. */
  readonly closeCodes: number[] = [];
  /** Batches whose ack is held (acks: 'hold'), oldest first. */
  readonly held: ReceivedBatch[] = [];
  /** The serial of the client certificate of each accepted connection, in order. */
  readonly peerSerials: string[] = [];
  /** Connections accepted (WebSocket upgrades completed). */
  connections = 0;
  /** TLS handshakes that failed (a client the server refused, or one that refused the server). */
  tlsFailures = 0;
  renewals = 0;
  /** How renewals are answered. */
  renew: 'sign' | 'refuse' | 'ignore' = 'sign';

  private readonly open = new Map<number, HubConnection>();
  private readonly pendingCommands = new Map<string, (reply: DeviceReply) => void>();
  private commandSeq = 0;

  private constructor(
    private readonly o: FakeHubOptions,
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    readonly port: number,
  ) {
    this.acks = o.acks ?? 'auto';
  }

  static async start(o: FakeHubOptions): Promise<FakeHub> {
    const server = createServer({ key: o.server.keyPem, cert: o.server.certPem, ca: o.ca.certPem, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' });
    const wss = new WebSocketServer({
      server,
      maxPayload: MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1');
    await once(server, 'listening');
    const hub = new FakeHub(o, server, wss, (server.address() as AddressInfo).port);
    server.on('tlsClientError', () => hub.tlsFailures++);
    wss.on('connection', (ws, req) => hub.accept(ws, req.socket as TLSSocket));
    return hub;
  }

  /** wss://localhost:PORT (serverCredentials' default names include localhost). */
  get url(): string {
    return `wss://localhost:${this.port}`;
  }

  /** Connections open now. */
  get openConnections(): number {
    return this.open.size;
  }

  /** Every read id received, in order, duplicates included. */
  receivedIds(lane?: Lane): string[] {
    return this.batches.filter((b) => lane === undefined || b.lane === lane).flatMap((b) => b.ids);
  }

  /** Acks the `n` oldest held batches (all by default) whose connection is still open; returns how many. */
  releaseAcks(n = Infinity): number {
    let sent = 0;
    while (sent < n && this.held.length > 0) {
      const batch = this.held.shift() as ReceivedBatch;
      const conn = this.open.get(batch.connection);
      if (conn === undefined) continue;
      this.commitAndAck(conn, batch);
      sent++;
    }
    return sent;
  }

  /** Sends a message to the newest connection. */
  send(body: HubMessageBody): void {
    this.sendRaw(encodeMessage(body));
  }

  /** Sends a text (or, with binary, a binary) frame to the newest connection, as is. */
  sendRaw(data: string | Buffer, binary = false): void {
    this.newest().ws.send(data, { binary });
  }

  /** Writes bytes straight onto the newest connection's TLS socket: hand-made WebSocket frames. */
  sendRawBytes(bytes: Buffer): void {
    this.newest().socket.write(bytes);
  }

  /** Sends a command to the newest connection and resolves with the device's reply. */
  command(command: Command, id = `cmd-${++this.commandSeq}`): Promise<DeviceReply> {
    const reply = new Promise<DeviceReply>((resolve) => this.pendingCommands.set(id, resolve));
    this.send({ type: 'command', id, command });
    return reply;
  }

  /** The newest connection stops reading and writing: a peer whose packets silently vanish. */
  silence(): void {
    const conn = this.newest();
    conn.silent = true;
    conn.socket.pause();
  }

  /** The newest connection stops reading (its messages wait in the socket buffers): a slow hub. */
  pauseReading(): void {
    this.newest().socket.pause();
  }

  resumeReading(): void {
    this.newest().socket.resume();
  }

  /** Drops every open connection without a close handshake (a killed hub process). */
  dropConnections(): void {
    for (const conn of this.open.values()) conn.ws.terminate();
  }

  async close(): Promise<void> {
    this.dropConnections();
    for (const conn of this.open.values()) conn.socket.destroy();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private newest(): HubConnection {
    const conn = [...this.open.values()].pop();
    if (conn === undefined) throw new Error('fake hub: no device is connected');
    return conn;
  }

  private accept(ws: WebSocket, socket: TLSSocket): void {
    const n = ++this.connections;
    const peer = certificateFacts(socket.getPeerX509Certificate()?.toString() ?? '');
    const deviceId = peer.commonName;
    this.peerSerials.push(peer.serial);
    const conn: HubConnection = { n, ws, socket, deviceId, silent: false, outstanding: new Map() };
    this.open.set(n, conn);
    ws.on('message', (data, isBinary) => this.onMessage(conn, data as Buffer, isBinary));
    ws.on('error', () => undefined);
    ws.on('close', (code) => {
      this.open.delete(n);
      this.closeCodes.push(code);
    });
    if (this.o.welcome ?? true) {
      this.reply(conn, { type: 'welcome', deviceId, time: Date.now(), certificateNotAfter: peer.notAfter });
    }
  }

  private onMessage(conn: HubConnection, data: Buffer, isBinary: boolean): void {
    if (conn.silent) return;
    const parsed = parseDeviceMessage(data, isBinary);
    if (!parsed.ok) {
      this.refused.push({ code: parsed.code, reason: parsed.reason });
      this.reply(conn, { type: 'error', ref: parsed.ref, error: { code: parsed.code, message: parsed.reason } });
      return;
    }
    const m = parsed.message;
    this.messages.push(m);
    switch (m.type) {
      case 'reads': {
        const batch: ReceivedBatch = { connection: conn.n, batch: m.batch, lane: m.lane, ids: m.reads.map((r) => r.id) };
        this.batches.push(batch);
        for (const id of batch.ids) this.receivedCount.set(id, (this.receivedCount.get(id) ?? 0) + 1);
        conn.outstanding.set(m.batch, m.lane);
        const lanes = [...conn.outstanding.values()];
        this.maxOutstanding[m.lane] = Math.max(this.maxOutstanding[m.lane], lanes.filter((l) => l === m.lane).length);
        if (this.acks === 'auto') this.commitAndAck(conn, batch);
        else if (this.acks === 'hold') this.held.push(batch);
        return;
      }
      case 'reply': {
        const resolve = this.pendingCommands.get(m.id);
        this.pendingCommands.delete(m.id);
        resolve?.(m);
        return;
      }
      case 'renew':
        this.renewals++;
        if (this.renew === 'ignore') return;
        if (this.renew === 'refuse') {
          this.reply(conn, { type: 'error', ref: m.id, error: { code: 'REFUSED', message: 'renewals are refused by this test hub' } });
          return;
        }
        this.reply(conn, {
          type: 'renewed',
          id: m.id,
          certificate: issueDeviceCertificate(this.o.ca, m.csr, { notAfter: Date.now() + (this.o.certLifetimeMs ?? 86_400_000), expectedDeviceId: conn.deviceId }),
        });
        return;
      case 'error':
        this.deviceErrors.push(m);
        return;
    }
  }

  private commitAndAck(conn: HubConnection, batch: ReceivedBatch): void {
    for (const id of batch.ids) this.stored.add(id);
    conn.outstanding.delete(batch.batch);
    this.reply(conn, { type: 'ack', batch: batch.batch, ids: batch.ids });
  }

  private reply(conn: HubConnection, body: HubMessageBody): void {
    if (!conn.silent) conn.ws.send(encodeMessage(body));
  }
}

/** Resolves once `check` holds (polled every 10 ms); rejects naming `what` after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
