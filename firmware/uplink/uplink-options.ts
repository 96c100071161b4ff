/** The uplink's settings, their defaults and their bounds. */
import type { BackoffSettings } from './backoff';
import { LIMITS } from './protocol';

export interface UplinkOptions {
  /** The hub's uplink, wss://host:port. */
  url: string;
  /** The name the hub's certificate must carry, when it differs from the URL's host (also sent as SNI). */
  serverName?: string;
  /** Ping interval, ms; a hub silent for a whole interval after a ping is dropped. Default 10000. */
  heartbeatMs?: number;
  /** TLS + WebSocket handshake, and the wait for the hub's welcome, ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Reconnect delays (full jitter). Defaults 1000 and 60000 ms. */
  backoff?: Partial<BackoffSettings>;
  /** Reads per batch, 1 to 500 (the protocol's bound). Default 50. */
  batchReads?: number;
  /** Batches in flight per lane. Default 8. */
  windowBatches?: number;
  /** The backlog waits while the socket holds more unsent bytes than this: what an alert may queue behind. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** How long renew() waits for the hub's certificate, ms. Default 30000. */
  renewTimeoutMs?: number;
  /** A batch the hub refused is offered again after this long, ms. Default 60000. */
  refusedRetryMs?: number;
  /**
   * An alert batch not acknowledged this long after it was sent is sent again on the same
   * connection (the hub keeps each read once), ms. Default 5000. Backlog batches wait for the
   * connection instead: the heartbeat ends a dead one.
   */
  alertAckTimeoutMs?: number;
}

export type ResolvedUplinkOptions = Required<Omit<UplinkOptions, 'serverName' | 'backoff'>> & { serverName: string | undefined; backoff: BackoffSettings };

export const UPLINK_DEFAULTS = {
  heartbeatMs: 10_000,
  connectTimeoutMs: 10_000,
  backoff: { initialMs: 1000, maxMs: 60_000 },
  batchReads: 50,
  windowBatches: 8,
  maxBufferedBytes: 1024 * 1024,
  renewTimeoutMs: 30_000,
  refusedRetryMs: 60_000,
  alertAckTimeoutMs: 5_000,
} as const;

/** Fills in defaults and checks every bound. @throws RangeError naming the option. */
export function resolveUplinkOptions(o: UplinkOptions): ResolvedUplinkOptions {
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw new RangeError(`uplink url ${JSON.stringify(o.url)} is not a URL; expected wss://host:port`);
  }
  if (url.protocol !== 'wss:') throw new RangeError(`uplink url ${JSON.stringify(o.url)} must use wss:// (mutual TLS); got ${url.protocol}`);
  const resolved: ResolvedUplinkOptions = {
    url: o.url,
    serverName: o.serverName,
    heartbeatMs: o.heartbeatMs ?? UPLINK_DEFAULTS.heartbeatMs,
    connectTimeoutMs: o.connectTimeoutMs ?? UPLINK_DEFAULTS.connectTimeoutMs,
    backoff: { initialMs: o.backoff?.initialMs ?? UPLINK_DEFAULTS.backoff.initialMs, maxMs: o.backoff?.maxMs ?? UPLINK_DEFAULTS.backoff.maxMs },
    batchReads: o.batchReads ?? UPLINK_DEFAULTS.batchReads,
    windowBatches: o.windowBatches ?? UPLINK_DEFAULTS.windowBatches,
    maxBufferedBytes: o.maxBufferedBytes ?? UPLINK_DEFAULTS.maxBufferedBytes,
    renewTimeoutMs: o.renewTimeoutMs ?? UPLINK_DEFAULTS.renewTimeoutMs,
    refusedRetryMs: o.refusedRetryMs ?? UPLINK_DEFAULTS.refusedRetryMs,
    alertAckTimeoutMs: o.alertAckTimeoutMs ?? UPLINK_DEFAULTS.alertAckTimeoutMs,
  };
  const bounds: [string, number, number, number][] = [
    ['heartbeatMs', resolved.heartbeatMs, 10, 3_600_000],
    ['connectTimeoutMs', resolved.connectTimeoutMs, 10, 600_000],
    ['backoff.initialMs', resolved.backoff.initialMs, 1, 3_600_000],
    ['backoff.maxMs', resolved.backoff.maxMs, resolved.backoff.initialMs, 86_400_000],
    ['batchReads', resolved.batchReads, 1, LIMITS.batchReads],
    ['windowBatches', resolved.windowBatches, 1, 64],
    ['maxBufferedBytes', resolved.maxBufferedBytes, 1, 1024 * 1024 * 1024],
    ['renewTimeoutMs', resolved.renewTimeoutMs, 10, 600_000],
    ['refusedRetryMs', resolved.refusedRetryMs, 1, 86_400_000],
    ['alertAckTimeoutMs', resolved.alertAckTimeoutMs, 10, 600_000],
  ];
  for (const [name, value, min, max] of bounds) {
    if (!(Number.isInteger(value) && value >= min && value <= max)) throw new RangeError(`uplink option ${name} must be an integer from ${min} to ${max} (got ${value})`);
  }
  return resolved;
}
