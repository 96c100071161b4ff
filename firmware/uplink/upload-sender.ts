/**
 * At-least-once upload of stored reads over one connection at a time. Reads go out in batches
 * with ids; a read is marked uploaded only when central acknowledges its batch; batches not
 * acknowledged when the connection drops go back to the queue and are sent again on the next.
 *
 * Two lanes: `alert` (hits) and `backlog` (reads), each with its own window of batches in
 * flight, so an alert never waits behind a full backlog window. The backlog also waits while the
 * socket holds more than maxBufferedBytes unsent (backpressure); alerts, bounded by their own
 * window, do not.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from '../../drivers/log';
import type { StoredRead } from '../store/read-store';
import type { UploadBatchOptions } from '../store/sqlite-read-store';
import { encodeMessage, LIMITS, MAX_MESSAGE_BYTES, type Lane, type UploadRead } from './protocol';
import { toUploadRead } from './upload-read';

/** What the sender needs of the store. */
export interface UploadSource {
  /** Oldest not-uploaded reads of a class, leaving out `exclude`. */
  nextUploadBatch(limit: number, opts: UploadBatchOptions): Promise<StoredRead[]>;
  /** Marks reads uploaded, durably. */
  markAcknowledged(ids: readonly string[]): Promise<number>;
}

/** The open connection, as the sender sees it. */
export interface UploadChannel {
  /** Sends one text frame; `written` runs once it has left the buffer (or failed). False when closed. */
  send(text: string, written: () => void): boolean;
  /** Bytes queued on the socket, not yet written. */
  bufferedAmount(): number;
}

export interface UploadSenderSettings {
  /** Reads per batch. */
  batchReads: number;
  /** Batches in flight (sent, not acknowledged) per lane. */
  windowBatches: number;
  /** The backlog waits while the socket holds more than this many bytes unsent. */
  maxBufferedBytes: number;
  /** A batch the hub refused is not offered again for this long, ms. */
  refusedRetryMs: number;
  /** An alert batch unacknowledged this long is sent again, ms. */
  alertAckTimeoutMs: number;
}

export interface UploadSenderStats {
  inFlightBatches: number;
  inFlightReads: number;
  batchesSent: number;
  readsSent: number;
  /** Reads acknowledged by central and marked uploaded. */
  acked: number;
  lastUploadAt: number | null;
  /** Acks of batches not in flight (replayed or forged): refused, nothing changed. */
  unexpectedAcks: number;
  /** Batches the hub refused (error with the batch's id). */
  refusedBatches: number;
  /** Alert batches sent again because their ack did not come within alertAckTimeoutMs. */
  alertResends: number;
  /** Reads the protocol cannot carry (kept on the device, never sent). */
  unsendableReads: number;
}

export interface UploadSenderEvents {
  /** The hub's ack of these reads arrived (they are being marked uploaded). */
  ackReceived: [ids: string[], lane: Lane];
  /** These reads are marked uploaded, durably. */
  acked: [ids: string[], lane: Lane];
}

interface Batch {
  id: string;
  lane: Lane;
  ids: string[];
  /** sent: waiting for the ack; acking: acked, being marked in the store. */
  state: 'sent' | 'acking';
  /** Alert batches: sends the batch again if no ack comes in time. */
  ackTimer?: NodeJS.Timeout;
}

/** Room left in a message for the envelope around the reads. */
const ENVELOPE_BYTES = 64 * 1024;
/** Most an alert can take in a message: its frame and crop as base64, and its fields. */
const MAX_ALERT_ENCODED_BYTES = Math.ceil(LIMITS.frameBytes / 3) * 4 + Math.ceil(LIMITS.cropBytes / 3) * 4 + 64 * 1024;
/**
 * Alerts fetched for one batch: as many as surely fit one message (5). Each batch is cut by its
 * encoded bytes anyway; this keeps the device from loading 50 full frames to send a handful.
 */
const ALERT_FETCH_READS = Math.max(1, Math.floor((MAX_MESSAGE_BYTES - ENVELOPE_BYTES) / MAX_ALERT_ENCODED_BYTES));

export class UploadSender extends EventEmitter<UploadSenderEvents> {
  private channel: UploadChannel | null = null;
  private readonly batches = new Map<string, Batch>();
  /** Acknowledged ids being marked: not offered again meanwhile, on any connection. */
  private readonly marking = new Set<string>();
  /** Ids of batches the hub refused, and until when they rest. */
  private readonly resting = new Map<string, number>();
  /** Reads the protocol cannot carry: never offered again in this process. */
  private readonly unsendable = new Set<string>();
  private pumping: Promise<void> | null = null;
  private again = false;
  private readonly tasks = new Set<Promise<unknown>>();
  private restTimer: NodeJS.Timeout | null = null;
  private readonly counters = { batchesSent: 0, readsSent: 0, acked: 0, unexpectedAcks: 0, refusedBatches: 0, alertResends: 0 };
  private lastUploadAt: number | null = null;
  /** Acknowledged batches waiting to be marked, and the marking round in progress. */
  private toMark: { batchId: string; batch: Batch; ids: string[] }[] = [];
  private markingRound: Promise<void> | null = null;

  constructor(
    private readonly source: UploadSource,
    private readonly settings: UploadSenderSettings,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  /** A connection is up (and the hub welcomed the device): send what is waiting. */
  attach(channel: UploadChannel): void {
    this.detach();
    this.channel = channel;
    this.kick();
  }

  /** The connection is gone: what was in flight and not acknowledged goes back to the queue. */
  detach(): void {
    this.channel = null;
    for (const [id, batch] of this.batches) {
      clearTimeout(batch.ackTimer);
      if (batch.state === 'sent') this.batches.delete(id);
    }
  }

  /** New reads were stored: send now, alerts first. */
  notify(): void {
    this.kick();
  }

  /**
   * Central acknowledged `batchId`: marks the batch's reads uploaded. 'unexpected' when no such
   * batch is waiting for an ack on this connection (a replay, a forgery, an ack from before a
   * reconnect): nothing is changed.
   */
  async handleAck(batchId: string, ackedIds: readonly string[]): Promise<'acked' | 'unexpected'> {
    const batch = this.batches.get(batchId);
    if (batch === undefined || batch.state !== 'sent') {
      this.counters.unexpectedAcks++;
      return 'unexpected';
    }
    batch.state = 'acking';
    clearTimeout(batch.ackTimer);
    const inBatch = new Set(batch.ids);
    const ids = [...new Set(ackedIds)].filter((id) => inBatch.has(id));
    if (ids.length !== ackedIds.length || ids.length !== batch.ids.length) {
      // Ids the batch did not carry are ignored; ids it carried but the ack left out go back to the queue.
      this.log.warn({ batch: batchId, sent: batch.ids.length, acked: ackedIds.length, matching: ids.length }, 'ack does not match its batch; marking only the matching reads');
    }
    for (const id of ids) this.marking.add(id);
    this.emitSafely('ackReceived', ids, batch.lane);
    this.toMark.push({ batchId, batch, ids });
    await this.track(this.markAcknowledged());
    return 'acked';
  }

  /**
   * Marks every acknowledged batch waiting, in one store transaction: acks that arrive while one
   * round is being written share the next, so a fast hub costs one fsync per round instead of one
   * per batch (the store's writes are serial; each fsync would hold up the next batch to send).
   * Resolves once the batches waiting at the call are marked.
   */
  private markAcknowledged(): Promise<void> {
    this.markingRound ??= (async () => {
      try {
        while (this.toMark.length > 0) {
          const round = this.toMark.splice(0);
          const ids = round.flatMap((r) => r.ids);
          try {
            if (ids.length > 0) await this.source.markAcknowledged(ids);
            this.counters.acked += ids.length;
            this.lastUploadAt = this.now();
            for (const r of round) this.emitSafely('acked', r.ids, r.batch.lane);
          } catch (err) {
            // Not marked: the reads stay queued and are sent again (central drops the duplicates).
            this.log.error({ batches: round.length, reads: ids.length, err: (err as Error).message }, 'could not mark acknowledged reads uploaded; they will be sent again');
          } finally {
            for (const r of round) {
              for (const id of r.ids) this.marking.delete(id);
              if (this.batches.get(r.batchId) === r.batch) this.batches.delete(r.batchId);
            }
            this.kick();
          }
        }
      } finally {
        this.markingRound = null;
      }
    })();
    return this.markingRound;
  }

  /**
   * The hub refused a message with this id. When it is a batch in flight, its reads rest for
   * refusedRetryMs (a batch refused for good must not be resent in a tight loop) and go back to
   * the queue. Returns whether `ref` named a batch.
   */
  handleRefusal(ref: string, code: string, message: string): boolean {
    const batch = this.batches.get(ref);
    if (batch === undefined || batch.state !== 'sent') return false;
    this.batches.delete(ref);
    this.counters.refusedBatches++;
    const until = this.now() + this.settings.refusedRetryMs;
    for (const id of batch.ids) this.resting.set(id, until);
    this.log.error({ batch: ref, lane: batch.lane, reads: batch.ids.length, code, reason: message, retryInMs: this.settings.refusedRetryMs }, 'hub refused a batch; its reads stay on the device and are offered again later');
    if (this.restTimer === null) {
      this.restTimer = setTimeout(() => {
        this.restTimer = null;
        this.kick();
      }, this.settings.refusedRetryMs);
      this.restTimer.unref();
    }
    this.kick();
    return true;
  }

  stats(): UploadSenderStats {
    let inFlightReads = 0;
    for (const batch of this.batches.values()) inFlightReads += batch.ids.length;
    return { ...this.counters, inFlightBatches: this.batches.size, inFlightReads, lastUploadAt: this.lastUploadAt, unsendableReads: this.unsendable.size };
  }

  /** Resolves when no batch is being chosen and no ack is being marked. */
  async idle(): Promise<void> {
    while (this.pumping !== null || this.tasks.size > 0) {
      await Promise.allSettled([this.pumping, ...this.tasks]);
    }
  }

  /** Stops for good: nothing more is sent. */
  async stop(): Promise<void> {
    this.detach();
    if (this.restTimer !== null) clearTimeout(this.restTimer);
    this.restTimer = null;
    await this.idle();
  }

  private kick(): void {
    if (this.pumping !== null) {
      this.again = true;
      return;
    }
    if (this.channel === null) return;
    this.pumping = this.pump()
      .catch((err: Error) => this.log.error({ err: err.message }, 'choosing reads to upload failed; retrying at the next event'))
      .finally(() => {
        this.pumping = null;
        if (this.again) this.kick();
      });
  }

  private async pump(): Promise<void> {
    do {
      this.again = false;
      while (await this.sendOne());
    } while (this.again && this.channel !== null);
    this.again = false;
  }

  /** Sends one batch if a lane has room and reads waiting: alerts first. */
  private async sendOne(): Promise<boolean> {
    const channel = this.channel;
    if (channel === null) return false;
    if (this.inFlight('alert') < this.settings.windowBatches && (await this.sendBatch(channel, 'alert'))) return true;
    if (this.inFlight('backlog') >= this.settings.windowBatches) return false;
    if (channel.bufferedAmount() > this.settings.maxBufferedBytes) return false;
    return this.sendBatch(channel, 'backlog');
  }

  private inFlight(lane: Lane): number {
    let n = 0;
    for (const batch of this.batches.values()) if (batch.lane === lane) n++;
    return n;
  }

  /** True when it sent a batch or set unsendable reads aside (either way, worth another round). */
  private async sendBatch(channel: UploadChannel, lane: Lane): Promise<boolean> {
    const limit = lane === 'alert' ? Math.min(this.settings.batchReads, ALERT_FETCH_READS) : this.settings.batchReads;
    const stored = await this.source.nextUploadBatch(limit, { exclude: this.excluded(), dataClass: lane === 'alert' ? 'hit' : 'read' });
    if (stored.length === 0 || this.channel !== channel) return false;
    const reads: UploadRead[] = [];
    let bytes = 0;
    for (const read of stored) {
      const converted = toUploadRead(read);
      if (!converted.ok) {
        this.unsendable.add(read.id);
        this.log.error({ id: read.id, reason: converted.reason }, 'read cannot be carried by the protocol; it stays on the device, not uploaded');
        continue;
      }
      // Bounded by bytes as well as by count: a few alerts with full frames fill a message.
      if (reads.length > 0 && bytes + converted.bytes > MAX_MESSAGE_BYTES - ENVELOPE_BYTES) break;
      reads.push(converted.read);
      bytes += converted.bytes;
    }
    if (reads.length === 0) return true;
    const batch: Batch = { id: randomUUID(), lane, ids: reads.map((r) => r.id), state: 'sent' };
    this.batches.set(batch.id, batch);
    if (!channel.send(encodeMessage({ type: 'reads', batch: batch.id, lane, reads }), () => this.kick())) {
      this.batches.delete(batch.id);
      return false;
    }
    this.counters.batchesSent++;
    this.counters.readsSent += reads.length;
    if (lane === 'alert') batch.ackTimer = this.resendUnlessAcked(batch);
    this.log.debug({ batch: batch.id, lane, reads: reads.length }, 'batch sent');
    return true;
  }

  /**
   * An alert must not wait on a hub that took it and went quiet about it (a stalled commit, a
   * lost ack) while the connection stays up: after alertAckTimeoutMs it goes back to the queue
   * and out again. A late ack of the first batch is then refused as unexpected; the hub keeps
   * each read once and acks the new batch.
   */
  private resendUnlessAcked(batch: Batch): NodeJS.Timeout {
    const timer = setTimeout(() => {
      if (this.batches.get(batch.id) !== batch || batch.state !== 'sent') return;
      this.batches.delete(batch.id);
      this.counters.alertResends++;
      this.log.warn({ batch: batch.id, reads: batch.ids.length, waitedMs: this.settings.alertAckTimeoutMs }, 'alert batch not acknowledged in time; sending it again');
      this.kick();
    }, this.settings.alertAckTimeoutMs);
    timer.unref();
    return timer;
  }

  /** Ids not to offer now: in flight, being marked, resting after a refusal, unsendable. */
  private excluded(): Set<string> {
    const ids = new Set<string>(this.unsendable);
    for (const batch of this.batches.values()) for (const id of batch.ids) ids.add(id);
    for (const id of this.marking) ids.add(id);
    const now = this.now();
    for (const [id, until] of this.resting) {
      if (until <= now) this.resting.delete(id);
      else ids.add(id);
    }
    return ids;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.tasks.add(work);
    void work.finally(() => this.tasks.delete(work)).catch(() => undefined);
    return work;
  }

  /** A throwing listener must not break the upload path. */
  private emitSafely(event: 'ackReceived' | 'acked', ids: string[], lane: Lane): void {
    try {
      this.emit(event, ids, lane);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, `an '${event}' listener threw`);
    }
  }
}
