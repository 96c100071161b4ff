/**
 * Runs a source's reads one after another: a second read() called before the first resolved
 * waits its turn instead of racing it for the same capture, file or scene frame.
 */
export class SerialReads {
  private chain: Promise<unknown> = Promise.resolve();

  run<T>(read: () => Promise<T>): Promise<T> {
    const next = this.chain.then(read);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every read started so far has settled. */
  async idle(): Promise<void> {
    await this.chain;
  }
}
