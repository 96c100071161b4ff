import { z } from 'zod';

/**
 * What a device reports of itself when central pulls its health: one definition, validated by
 * the hub on receipt. Every figure that cannot be measured on this board is null, never made up.
 */
const count = z.number().int().min(0);
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable();

/** Most hotlists and warnings one report carries: bounded like everything else on the wire. */
export const HEALTH_LIST_LIMIT = 1000;

/** One hotlist on the device, as HotlistStore.lists() summarizes it. */
const hotlistHealth = z.strictObject({
  name: z.string().min(1).max(128),
  entries: count,
  source: z.enum(['central', 'file']),
  /** Central's snapshot version; null for a list loaded from a file. */
  version: maybe(count),
  refreshedAt: count,
  /** Not refreshed for hotlist.staleAfterHours (POLICY P6). */
  stale: z.boolean(),
  staleSince: maybe(count),
});

export const healthReportSchema = z.strictObject({
  deviceId: z.string().min(1).max(128),
  /** When the report was made, ms since the epoch. */
  time: count,
  software: z.strictObject({ version: z.string().max(64), node: z.string().max(64) }),
  system: z.strictObject({
    /** Seconds since the OS booted, and since the appliance started. */
    uptimeS: z.number().min(0),
    processUptimeS: z.number().min(0),
    /** 1, 5 and 15 minute load averages. */
    load: z.tuple([z.number(), z.number(), z.number()]),
    memory: z.strictObject({ totalBytes: count, availableBytes: count, processRssBytes: count }),
    /** The file system of the data directory. */
    disk: z.strictObject({ path: z.string().max(4096), totalBytes: count, freeBytes: count }),
    /** Main CPU temperature, °C; null where the board does not expose it. */
    cpuTemperatureC: maybe(z.number()),
  }),
  camera: z.strictObject({
    source: z.string().max(512),
    /** Frames per second over the last report interval. */
    fps: z.number().min(0),
    frames: count,
    dropped: count,
  }),
  recognizer: z.strictObject({
    /** Frame to stored read, ms, over the recent reads; null before the first. */
    latencyMsMedian: maybe(z.number().min(0)),
    latencyMsP95: maybe(z.number().min(0)),
    failed: count,
    /**
     * Frames the motion gate passed unread since start (nothing moved). Optional only because
     * reports from software before the gate lack it; this software always sends it.
     */
    stillFrames: count.optional(),
  }),
  store: z.strictObject({
    reads: count,
    bytes: count,
    ringBytes: count,
    ringQuotaBytes: count,
    protectedBytes: count,
    protectedQuotaBytes: count,
    /** Reads evicted before central acknowledged them, since the store was created. */
    lostNotUploaded: count,
    /** Reads the pipeline could not store at all, since start. */
    lostReads: count,
    unreadableSkipped: count,
  }),
  uplink: z.strictObject({
    /** Reads and alerts stored but not yet acknowledged by central. */
    queueDepth: count,
    /** When the last batch was acknowledged, ms since the epoch; null if none since start. */
    lastUploadAt: maybe(count),
    /** When the device's certificate expires, ms since the epoch. */
    certificateNotAfter: maybe(count),
    reconnects: count,
  }),
  /**
   * The lists matched against every read. Optional only because reports from software before
   * hotlists (and the hub's rows of them) lack it; this software always sends it.
   */
  hotlists: z.array(hotlistHealth).max(HEALTH_LIST_LIMIT).optional(),
  /**
   * Conditions central should act on, one line each ("hotlist CA-SVS stale since ...", "no
   * hotlists loaded: ..."); empty when there are none. Optional for the same reason as hotlists.
   */
  warnings: z.array(z.string().min(1).max(500)).max(HEALTH_LIST_LIMIT).optional(),
});
export type HealthReport = z.infer<typeof healthReportSchema>;
