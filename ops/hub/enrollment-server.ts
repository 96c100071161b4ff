/**
 * The hub's enrollment endpoint: HTTPS with TLS-PSK, the one-time token as the pre-shared key
 * (see provisioning/enrollment-protocol.ts). A device that completed the handshake has proved it
 * holds a token this fleet made; the request then names the token's state (unknown, used,
 * expired), and a usable token is consumed atomically as the certificate is issued.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import forge from 'node-forge';
import type { Logger } from '../../drivers/log';
import { checkDeviceId } from '../../provisioning/device-key';
import { certificateFacts } from '../../provisioning/certificates';
import {
  ENROLL_PATH,
  ENROLL_PSK_CIPHERS,
  ENROLL_TLS_VERSION,
  MAX_ENROLL_BODY_BYTES,
  enrollRequestSchema,
  type EnrollErrorCode,
  type EnrollResponse,
} from '../../provisioning/enrollment-protocol';
import { TOKEN_ID_PATTERN } from '../../provisioning/enrollment-token';
import { issueDeviceCertificate, type CaMaterial } from '../fleet/certificate-authority';
import type { EnrollmentTokens, TokenState } from '../fleet/enrollment-tokens';

export interface EnrollmentServerOptions {
  ca: CaMaterial;
  tokens: EnrollmentTokens;
  host: string;
  /** 0 = any free port. */
  port: number;
  /** wss://host:port the enrolled device connects to. */
  uplinkUrl: string;
  certLifetimeMs: number;
  log: Logger;
  /** The hub records the device (and revokes that id's previous certificates) before the certificate is sent. */
  onEnrolled(deviceId: string, certPem: string): Promise<void>;
}

/** A refusal: HTTP status, stable code, message for the installer. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: EnrollErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A slow or stalled client is cut off: an enrollment is one small request. */
const REQUEST_TIMEOUT_MS = 15_000;
const MAX_CONNECTIONS = 64;

export class EnrollmentServer {
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(o: EnrollmentServerOptions): Promise<EnrollmentServer> {
    const log = o.log;
    // The PSK identity (token id) of each connection, set in the handshake, read by the request.
    const tokenIds = new WeakMap<Socket, string>();
    const server = createServer(
      {
        pskCallback: (socket: TLSSocket, identity: string) => {
          const key = o.tokens.handshakeKey(identity);
          if (key === null) {
            log.warn({ identity: identity.slice(0, 40) }, 'enrollment handshake names a malformed token id; refused');
            return null;
          }
          tokenIds.set(socket, identity);
          return key;
        },
        ciphers: ENROLL_PSK_CIPHERS,
        minVersion: ENROLL_TLS_VERSION,
        maxVersion: ENROLL_TLS_VERSION,
        requestTimeout: REQUEST_TIMEOUT_MS,
        headersTimeout: REQUEST_TIMEOUT_MS,
      },
      (req, res) => {
        handle(o, tokenIds.get(req.socket), req, res).catch((err: unknown) => {
          log.error({ err: (err as Error).message }, 'enrollment request failed');
          if (!res.headersSent) reply(res, 500, { error: { code: 'INTERNAL', message: 'the hub failed to process the enrollment' } });
        });
      },
    );
    server.maxConnections = MAX_CONNECTIONS;
    server.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
      // Mostly a wrong token secret (bad record MAC) or a client not speaking TLS-PSK.
      log.warn({ code: err.code, remote: socket.remoteAddress }, 'enrollment TLS handshake refused');
    });
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error) => reject(new Error(`cannot listen for enrollments on ${o.host}:${o.port}: ${err.message}`));
      server.once('error', failed);
      server.listen(o.port, o.host, () => {
        server.off('error', failed);
        resolve();
      });
    });
    server.on('error', (err) => log.error({ err: err.message }, 'enrollment server error'));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : o.port;
    log.info({ host: o.host, port }, 'enrollment server listening');
    return new EnrollmentServer(server, port);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

async function handle(o: EnrollmentServerOptions, tokenId: string | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const remote = req.socket.remoteAddress;
  try {
    if (tokenId === undefined || !TOKEN_ID_PATTERN.test(tokenId)) throw new Refusal(403, 'TOKEN_UNKNOWN', 'the connection did not present an enrollment token');
    const body = await readRequest(req);
    const response = await enrollDevice(o, tokenId, body);
    reply(res, 200, response);
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    o.log.warn({ tokenId, code: err.code, reason: err.message, remote }, 'enrollment refused');
    reply(res, err.status, { error: { code: err.code, message: err.message } });
  }
}

function readRequest(req: IncomingMessage): Promise<string> {
  const url = (req.url ?? '').split('?')[0];
  if (url !== ENROLL_PATH) throw new Refusal(404, 'NOT_FOUND', `no such endpoint ${JSON.stringify(url.slice(0, 100))}; enrollment is POST ${ENROLL_PATH}`);
  if (req.method !== 'POST') throw new Refusal(405, 'METHOD_NOT_ALLOWED', `enrollment is POST ${ENROLL_PATH}, not ${req.method}`);
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) throw new Refusal(415, 'UNSUPPORTED_MEDIA_TYPE', `the body must be application/json, not ${JSON.stringify(type.slice(0, 100))}`);
  const declared = Number(req.headers['content-length'] ?? 0);
  const tooLarge = () => new Refusal(413, 'BODY_TOO_LARGE', `the request body is larger than ${MAX_ENROLL_BODY_BYTES} bytes`);
  if (declared > MAX_ENROLL_BODY_BYTES) throw tooLarge();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return; // past the limit: what else comes is read and dropped, not kept
      size += chunk.length;
      if (size > MAX_ENROLL_BODY_BYTES) settle(() => reject(tooLarge()));
      else chunks.push(chunk);
    });
    req.on('end', () => settle(() => resolve(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', (err) => settle(() => reject(err)));
  });
}

async function enrollDevice(o: EnrollmentServerOptions, tokenId: string, body: string): Promise<EnrollResponse> {
  refuseUnusable(tokenId, await o.tokens.state(tokenId));
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new Refusal(400, 'BAD_JSON', `the body is not JSON: ${(err as Error).message}`);
  }
  const request = enrollRequestSchema.safeParse(json);
  if (!request.success) {
    const issue = request.error.issues[0];
    throw new Refusal(400, 'BAD_REQUEST', `the body must be {"csr": PEM}: ${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  const deviceId = csrDeviceId(request.data.csr);
  const now = Date.now();
  let certPem: string;
  try {
    certPem = issueDeviceCertificate(o.ca, request.data.csr, { notAfter: now + o.certLifetimeMs, expectedDeviceId: deviceId });
  } catch (err) {
    throw new Refusal(400, 'BAD_CSR', `the CSR was refused: ${(err as Error).message}`);
  }
  // The certificate leaves the hub only if this request is the one that consumed the token.
  if (!(await o.tokens.consume(tokenId))) {
    const state = await o.tokens.state(tokenId);
    refuseUnusable(tokenId, state === 'usable' ? 'used' : state); // usable still: lost a race to another request
  }
  try {
    await o.onEnrolled(deviceId, certPem);
  } catch (err) {
    // Nothing was sent: the token is given back so the installer can try again.
    await o.tokens.restore(tokenId);
    throw err;
  }
  o.log.info({ deviceId, tokenId, serial: certificateFacts(certPem).serial, notAfter: new Date(now + o.certLifetimeMs).toISOString() }, 'device enrolled');
  return { deviceId, certificate: certPem, caCertificate: o.ca.certPem, uplinkUrl: o.uplinkUrl };
}

/** Throws the refusal for a token that is not usable. */
function refuseUnusable(tokenId: string, state: TokenState): void {
  switch (state) {
    case 'usable':
      return;
    case 'unknown':
      throw new Refusal(403, 'TOKEN_UNKNOWN', `token ${tokenId} is not known to this hub (deleted, or made for another fleet directory)`);
    case 'used':
      throw new Refusal(410, 'TOKEN_USED', `token ${tokenId} was already used; tokens are one-time, make a new one with \`sightline fleet token\``);
    case 'expired':
      throw new Refusal(410, 'TOKEN_EXPIRED', `token ${tokenId} has expired; make a new one with \`sightline fleet token\``);
  }
}

/** The CSR's CN, which must be a device id; the signature is verified when it is signed. */
function csrDeviceId(csrPem: string): string {
  let cn: unknown;
  try {
    cn = forge.pki.certificationRequestFromPem(csrPem).subject.getField('CN')?.value;
  } catch (err) {
    throw new Refusal(400, 'BAD_CSR', `the CSR does not parse: ${(err as Error).message}`);
  }
  if (typeof cn !== 'string') throw new Refusal(400, 'BAD_DEVICE_ID', 'the CSR has no common name (CN); it must be the device id');
  try {
    checkDeviceId(cn);
  } catch (err) {
    throw new Refusal(400, 'BAD_DEVICE_ID', `the CSR's common name is not a device id: ${(err as Error).message}`);
  }
  return cn;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  // One token, one connection: nothing else is sent on it.
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close' });
  res.end(text);
}
