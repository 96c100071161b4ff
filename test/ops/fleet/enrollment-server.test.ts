import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import * as path from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import forge from 'node-forge';
import type { CaMaterial } from '../../../ops/fleet/certificate-authority';
import { generateDeviceKeyAndCsr } from '../../../provisioning/device-key';
import { ENROLL_PATH, ENROLL_PSK_CIPHERS, MAX_ENROLL_BODY_BYTES } from '../../../provisioning/enrollment-protocol';
import { parseEnrollmentToken, type EnrollmentToken } from '../../../provisioning/enrollment-token';
import { certificateFacts } from '../../../provisioning/certificates';
import { testCa } from '../../support/test-pki';
import { useTempDir } from '../../support/temp-dir';
import { startEnrollmentHub, type EnrollmentHub } from '../../provisioning/enrollment-fixture';
import { recordingLogger } from '../../drivers/camera/recording-logger';

interface Answer {
  status: number;
  body: { error?: { code: string; message: string }; deviceId?: string; certificate?: string };
}

/** One request over TLS-PSK with the token, sending exactly these bytes (chunked when `chunks` is given). */
function pskRequest(port: number, token: EnrollmentToken, o: { method?: string; path?: string; headers?: Record<string, string | number>; body?: string; chunks?: Buffer[] }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options: RequestOptions & ConnectionOptions = {
      host: '127.0.0.1',
      port,
      method: o.method ?? 'POST',
      path: o.path ?? ENROLL_PATH,
      headers: o.headers ?? { 'content-type': 'application/json' },
      agent: false,
      pskCallback: () => ({ psk: token.secret, identity: token.tokenId }),
      ciphers: ENROLL_PSK_CIPHERS,
      maxVersion: 'TLSv1.2',
      // PSK: no server certificate to check (as in provisioning/enroll.ts).
      checkServerIdentity: () => undefined,
    };
    const req = httpsRequest(options, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer['body'] }));
    });
    req.on('error', reject);
    if (o.chunks) {
      for (const chunk of o.chunks) req.write(chunk);
      req.end();
    } else {
      req.end(o.body);
    }
  });
}

function csrWith(subject: { name: string; value: string }[], options: { signWithOtherKey?: boolean } = {}): string {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string);
  csr.setSubject(subject);
  const signer = options.signWithOtherKey ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey : privateKey;
  csr.sign(forge.pki.privateKeyFromPem(signer.export({ type: 'pkcs8', format: 'pem' }) as string), forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

describe('EnrollmentServer (real TLS-PSK sockets, real token database)', function () {
  this.timeout(30_000);
  const tmp = useTempDir();
  let ca: CaMaterial;
  let hub: EnrollmentHub;
  let log: ReturnType<typeof recordingLogger>;
  let token: EnrollmentToken;

  before(async () => {
    ca = await testCa();
  });
  beforeEach(async () => {
    log = recordingLogger();
    hub = await startEnrollmentHub(ca, path.join(tmp(), 'hub'), { log: log.log, certLifetimeMs: 7 * 86_400_000 });
    token = parseEnrollmentToken((await hub.tokens.create({ ttlMs: 3_600_000 })).token);
  });
  afterEach(() => hub.close());

  const post = (body: unknown, headers?: Record<string, string | number>) => pskRequest(hub.server.port, token, { body: JSON.stringify(body), headers });

  async function assertRefused(answer: Answer, status: number, code: string, message: RegExp): Promise<void> {
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.equal(answer.body.error?.code, code);
    assert.match(answer.body.error?.message ?? '', message);
    assert.ok(log.entries.some((l) => l.msg === 'enrollment refused' && l.fields.code === code), 'the refusal is logged');
    assert.equal(hub.enrolled.length, 0);
    // A refused request does not burn the token.
    assert.equal(await hub.tokens.state(token.tokenId), 'usable');
  }

  it('signs a good CSR for the lifetime configured, once', async () => {
    const { csrPem } = await generateDeviceKeyAndCsr('cam-9');
    const ok = await post({ csr: csrPem });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.deviceId, 'cam-9');
    const facts = certificateFacts(ok.body.certificate!);
    assert.equal(facts.commonName, 'cam-9');
    assert.ok(Math.abs(facts.notAfter - (Date.now() + 7 * 86_400_000)) < 60_000);
    assert.ok(log.entries.some((l) => l.msg === 'device enrolled'));
    const again = await post({ csr: csrPem });
    assert.equal(again.status, 410);
    assert.equal(again.body.error?.code, 'TOKEN_USED');
  });

  it('refuses a CSR whose signature does not match its public key', async () => {
    await assertRefused(await post({ csr: csrWith([{ name: 'commonName', value: 'cam-9' }], { signWithOtherKey: true }) }), 400, 'BAD_CSR', /signature/);
  });

  it('refuses a CSR whose common name is not a device id, or that has none', async () => {
    await assertRefused(await post({ csr: csrWith([{ name: 'commonName', value: '../../etc/passwd' }]) }), 400, 'BAD_DEVICE_ID', /not a device id/);
    await assertRefused(await post({ csr: csrWith([{ name: 'organizationName', value: 'Agency' }]) }), 400, 'BAD_DEVICE_ID', /no common name/);
  });

  it('refuses text that is not a CSR, bodies that are not JSON or not the request', async () => {
    await assertRefused(await post({ csr: 'hello' }), 400, 'BAD_CSR', /does not parse/);
    await assertRefused(await pskRequest(hub.server.port, token, { body: '{"csr": ' }), 400, 'BAD_JSON', /not JSON/);
    await assertRefused(await post({ csr: 'x', extra: 1 }), 400, 'BAD_REQUEST', /\{"csr": PEM\}/);
    await assertRefused(await post([1, 2]), 400, 'BAD_REQUEST', /csr|body/);
    await assertRefused(await pskRequest(hub.server.port, token, { body: '{}', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE', /application\/json/);
    await assertRefused(await pskRequest(hub.server.port, token, { method: 'GET', body: '' }), 405, 'METHOD_NOT_ALLOWED', /POST/);
    await assertRefused(await pskRequest(hub.server.port, token, { path: '/v1/other', body: '{}' }), 404, 'NOT_FOUND', /POST \/v1\/enroll/);
  });

  it('refuses a body over 64 KB, declared or streamed, without reading it all', async () => {
    const big = JSON.stringify({ csr: 'A'.repeat(MAX_ENROLL_BODY_BYTES) });
    await assertRefused(await post({ csr: 'A'.repeat(MAX_ENROLL_BODY_BYTES) }), 413, 'BODY_TOO_LARGE', /larger than 65536 bytes/);
    // Chunked, no length declared: cut off once the limit is passed.
    const chunks = Array.from({ length: 10 }, (_, i) => Buffer.from(big.slice(i * 7000, (i + 1) * 7000 + (i === 9 ? big.length : 0))));
    await assertRefused(await pskRequest(hub.server.port, token, { chunks }), 413, 'BODY_TOO_LARGE', /larger than/);
  });

  it('a client without the PSK (ordinary certificate TLS) gets no handshake, and the server keeps serving', async () => {
    const err = await new Promise<Error & { code?: string }>((resolve) => {
      const req = httpsRequest({ host: '127.0.0.1', port: hub.server.port, method: 'POST', path: ENROLL_PATH, agent: false, ca: ca.certPem }, () => resolve(new Error('answered')));
      req.on('error', resolve);
      req.end('{}');
    });
    assert.match(`${err.code} ${err.message}`, /handshake|alert|EPROTO|ECONNRESET/i);
    assert.ok(log.entries.some((l) => l.msg === 'enrollment TLS handshake refused'));
    const { csrPem } = await generateDeviceKeyAndCsr('cam-9');
    assert.equal((await post({ csr: csrPem })).status, 200);
  });

  it('a failure to record the device gives the token back', async () => {
    await hub.close();
    let fail = true;
    hub = await startEnrollmentHub(ca, path.join(tmp(), 'hub'), {
      log: log.log,
      onEnrolled: async () => {
        if (fail) throw new Error('hub database is full');
      },
    });
    const { csrPem } = await generateDeviceKeyAndCsr('cam-9');
    const failed = await post({ csr: csrPem });
    assert.equal(failed.status, 500);
    assert.equal(failed.body.error?.code, 'INTERNAL');
    assert.equal(await hub.tokens.state(token.tokenId), 'usable');
    fail = false;
    assert.equal((await post({ csr: csrPem })).status, 200);
  });

  it('reports the port it listens on and refuses a port in use with a clear error', async () => {
    assert.ok(hub.server.port > 0);
    const { EnrollmentServer } = await import('../../../ops/hub/enrollment-server');
    await assert.rejects(
      EnrollmentServer.start({ ca, tokens: hub.tokens, host: '127.0.0.1', port: hub.server.port, uplinkUrl: 'wss://localhost:1', certLifetimeMs: 1000, log: log.log, onEnrolled: async () => undefined }),
      /cannot listen for enrollments on 127\.0\.0\.1:\d+: .*EADDRINUSE/,
    );
  });
});
