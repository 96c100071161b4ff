import assert from 'node:assert/strict';

// Captured at load, before any test installs sinon's fake timers.
const realSetTimeout = globalThis.setTimeout;

/**
 * Waits in real time until `condition` holds, for work the fake clock does not drive (file I/O,
 * OpenCV jobs in libuv's pool). Fails after `limitMs` so a broken source cannot hang the suite.
 */
export async function untilReal(condition: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const start = process.hrtime.bigint();
  while (!condition()) {
    if (Number(process.hrtime.bigint() - start) / 1e6 > limitMs) assert.fail(`gave up waiting for ${what}`);
    await new Promise((resolve) => realSetTimeout(resolve, 1));
  }
}
