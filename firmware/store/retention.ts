/**
 * Retention epochs. Records are sealed under one data key per class and epoch (a day by default),
 * so when an epoch's last record has expired its key can be destroyed and every copy of those
 * records, wherever it lingers, becomes unreadable at once.
 */

/** What the store keeps: reads that matched nothing, and hotlist hits (alerts). */
export const DATA_CLASSES = ['read', 'hit'] as const;
export type DataClass = (typeof DATA_CLASSES)[number];

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionSettings {
  /** Length of one key epoch, ms. */
  epochMs: number;
  /** How long each class is kept after the vehicle was seen, ms. */
  keepMs: Record<DataClass, number>;
}

export const DEFAULT_RETENTION: RetentionSettings = {
  epochMs: DAY_MS,
  keepMs: { read: 30 * DAY_MS, hit: 365 * DAY_MS },
};

export class RetentionPolicy {
  constructor(readonly settings: RetentionSettings = DEFAULT_RETENTION) {
    if (!(Number.isSafeInteger(settings.epochMs) && settings.epochMs > 0)) throw new Error(`epochMs must be a positive integer (got ${settings.epochMs})`);
  }

  /** The epoch a record seen at `firstSeen` belongs to. */
  epochOf(firstSeen: number): number {
    return Math.floor(firstSeen / this.settings.epochMs);
  }

  /** When a record of this class seen at `firstSeen` expires. */
  expiresAt(dataClass: DataClass, firstSeen: number): number {
    return firstSeen + this.settings.keepMs[dataClass];
  }

  /** When every record an epoch key of this class could seal has expired: the key may then go. */
  epochKeyExpiresAt(dataClass: DataClass, epoch: number): number {
    return (epoch + 1) * this.settings.epochMs + this.settings.keepMs[dataClass];
  }

  /** The newest epoch of this class whose key has expired at `now` (keys of epochs up to it may go). */
  lastExpiredEpoch(dataClass: DataClass, now: number): number {
    return Math.floor((now - this.settings.keepMs[dataClass]) / this.settings.epochMs) - 1;
  }
}
