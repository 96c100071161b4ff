/**
 * Dead-peer detection. A ping goes out every interval; anything heard from the peer (a pong or
 * any message) marks it alive. When a tick finds nothing heard since the previous ping, the peer
 * is declared dead. A peer that dies (packets silently dropped, no FIN, no RST) just after it was
 * last heard is therefore detected within two intervals, with no TCP timeout involved.
 */
export class Heartbeat {
  private heard = true;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs: number,
    /** Sends a ping. */
    private readonly ping: () => void,
    /** Called once when the peer stayed silent for a whole interval after a ping. */
    private readonly dead: () => void,
  ) {}

  start(): void {
    this.stop();
    this.heard = true;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  /** The peer said something: it is alive. */
  heardFrom(): void {
    this.heard = true;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    if (!this.heard) {
      this.stop();
      this.dead();
      return;
    }
    this.heard = false;
    this.ping();
  }
}
