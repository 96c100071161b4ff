import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Credentials } from './test-pki';

/**
 * A TLS-intercepting ("inspecting") proxy, as a corporate middlebox or an attacker would run it:
 * it terminates the device's TLS with a certificate for the hub's own names, issued by the
 * proxy's CA, reads the plaintext, and forwards it over its own TLS connection to the hub. A
 * device that pins central's CA must refuse it before sending a byte of application data.
 */
export class TlsInterceptProxy {
  /** TLS handshakes the proxy completed with a client (a device that trusted it). */
  handshakesCompleted = 0;
  /** Plaintext bytes the proxy saw from clients. */
  plaintextBytes = 0;
  /** Client connections that ended in a TLS error (a device refusing the proxy's certificate). */
  refusedByClient = 0;

  private constructor(private readonly server: tls.Server) {}

  static async start(credentials: Credentials, upstream: { host: string; port: number; ca: string; servername: string }): Promise<TlsInterceptProxy> {
    let proxy!: TlsInterceptProxy;
    const server = tls.createServer({ key: credentials.keyPem, cert: credentials.certPem }, (client) => {
      proxy.handshakesCompleted++;
      const hub = tls.connect({ host: upstream.host, port: upstream.port, ca: upstream.ca, servername: upstream.servername });
      client.on('data', (chunk: Buffer) => {
        proxy.plaintextBytes += chunk.length;
        hub.write(chunk);
      });
      hub.pipe(client);
      const end = () => {
        client.destroy();
        hub.destroy();
      };
      client.on('error', end).on('close', end);
      hub.on('error', end).on('close', end);
    });
    server.on('tlsClientError', () => proxy.refusedByClient++);
    proxy = new TlsInterceptProxy(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
