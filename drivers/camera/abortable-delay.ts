/**
 * A timer that an AbortSignal can cut short, so closing a source never waits out a pacing or
 * backoff delay and never leaves a timer holding the process open. It looks `setTimeout` up at
 * call time so sinon's fake timers drive it in tests.
 */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
