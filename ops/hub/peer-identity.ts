/**
 * Who is on the other end of an upgrade request: the device id is the CN of the client
 * certificate TLS already verified against the fleet CA (chain, validity, client-auth purpose).
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { SUBPROTOCOL } from '../../firmware/uplink/protocol';
import { certificateFacts } from '../../provisioning/certificates';
import { DEVICE_ID_PATTERN } from '../../provisioning/device-key';

export interface PeerIdentity {
  deviceId: string;
  serial: string;
  notBefore: number;
  notAfter: number;
  address: string | null;
}

export type UpgradeCheck = { ok: true; identity: PeerIdentity } | { ok: false; status: number; reason: string };

/** Checks what can be checked without the database: verified certificate, device id, subprotocol. */
export function checkUpgrade(req: IncomingMessage): UpgradeCheck {
  const socket = req.socket as TLSSocket;
  // rejectUnauthorized already refused unverified peers at the handshake; checked again so a
  // change of server options can never let one through.
  if (!socket.authorized) return { ok: false, status: 401, reason: `client certificate not accepted: ${String(socket.authorizationError ?? 'none presented')}` };
  const cert = socket.getPeerX509Certificate();
  if (cert === undefined) return { ok: false, status: 401, reason: 'no client certificate' };
  const facts = certificateFacts(cert.toString());
  if (!DEVICE_ID_PATTERN.test(facts.commonName)) return { ok: false, status: 403, reason: 'the certificate\'s common name is not a device id' };
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim());
  if (!offered.includes(SUBPROTOCOL)) return { ok: false, status: 400, reason: `this hub speaks the ${SUBPROTOCOL} subprotocol only` };
  return {
    ok: true,
    identity: { deviceId: facts.commonName, serial: facts.serial, notBefore: facts.notBefore, notAfter: facts.notAfter, address: socket.remoteAddress ?? null },
  };
}
