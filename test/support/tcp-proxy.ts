import * as net from 'node:net';

/**
 * A TCP proxy a test controls, between a device and a hub on loopback. It can forward, go silent
 * (stop forwarding in both directions without closing anything: a dead link whose packets are
 * dropped), or throttle every connection to a byte rate. It sees only TLS bytes.
 */
export type ProxyMode = 'forward' | 'blackhole';

export class TcpProxy {
  private readonly server: net.Server;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  private mode: ProxyMode = 'forward';
  /** Bytes per second per direction per connection; null = unthrottled. */
  private rate: number | null = null;
  /** Connections accepted since start. */
  accepted = 0;
  /** Bytes passed towards the upstream (device to hub) and back. */
  bytesUp = 0;
  bytesDown = 0;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer((client) => this.accept(client));
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** forward: bytes flow. blackhole: nothing flows either way, connections stay open, new ones hang. */
  setMode(mode: ProxyMode): void {
    this.mode = mode;
    for (const { client, upstream } of this.pairs) {
      if (mode === 'blackhole') {
        client.pause();
        upstream.pause();
      } else {
        client.resume();
        upstream.resume();
      }
    }
  }

  throttle(bytesPerSecond: number | null): void {
    this.rate = bytesPerSecond;
  }

  /** Open connections through the proxy. */
  get connections(): number {
    return this.pairs.size;
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    const upstream = net.connect(this.target.port, this.target.host);
    const pair = { client, upstream };
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    this.pipe(client, upstream, (n) => (this.bytesUp += n));
    this.pipe(upstream, client, (n) => (this.bytesDown += n));
    if (this.mode === 'blackhole') {
      client.pause();
      upstream.pause();
    }
  }

  /** Copies from → to, honouring the mode and the rate; pauses `from` while `to` is full. */
  private pipe(from: net.Socket, to: net.Socket, count: (n: number) => void): void {
    let queue: Buffer[] = [];
    let sending = false;
    const sendNext = () => {
      if (to.destroyed) return;
      if (this.mode === 'blackhole') {
        setTimeout(sendNext, 50);
        return;
      }
      const chunk = queue.shift();
      if (!chunk) {
        sending = false;
        from.resume();
        return;
      }
      const rate = this.rate;
      const slice = rate === null ? chunk : chunk.subarray(0, Math.max(1, Math.floor(rate / 20)));
      if (slice.length < chunk.length) queue.unshift(chunk.subarray(slice.length));
      count(slice.length);
      const flushed = to.write(slice);
      const delay = rate === null ? 0 : (slice.length / rate) * 1000;
      const next = () => (delay > 0 ? setTimeout(sendNext, delay) : setImmediate(sendNext));
      if (flushed) next();
      else to.once('drain', next);
    };
    from.on('data', (chunk: Buffer) => {
      queue.push(chunk);
      // Hold the source while anything is queued: the proxy never buffers without bound.
      from.pause();
      if (!sending) {
        sending = true;
        sendNext();
      }
    });
    from.on('close', () => (queue = []));
  }
}
