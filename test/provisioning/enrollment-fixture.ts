import type { Logger } from '../../drivers/log';
import { silentLogger } from '../../drivers/log';
import type { CaMaterial } from '../../ops/fleet/certificate-authority';
import { EnrollmentTokens } from '../../ops/fleet/enrollment-tokens';
import { EnrollmentServer } from '../../ops/hub/enrollment-server';

/** A real enrollment endpoint on loopback: the fleet CA, a token database in `fleetDir`, TLS-PSK server. */
export interface EnrollmentHub {
  server: EnrollmentServer;
  tokens: EnrollmentTokens;
  url: string;
  /** Every device the server reported enrolled, in order. */
  enrolled: { deviceId: string; certPem: string }[];
  close(): Promise<void>;
}

export const UPLINK_URL = 'wss://localhost:8443';

export async function startEnrollmentHub(
  ca: CaMaterial,
  fleetDir: string,
  options: { certLifetimeMs?: number; log?: Logger; onEnrolled?: (deviceId: string, certPem: string) => Promise<void> } = {},
): Promise<EnrollmentHub> {
  const tokens = await EnrollmentTokens.open(fleetDir);
  const enrolled: { deviceId: string; certPem: string }[] = [];
  const server = await EnrollmentServer.start({
    ca,
    tokens,
    host: '127.0.0.1',
    port: 0,
    uplinkUrl: UPLINK_URL,
    certLifetimeMs: options.certLifetimeMs ?? 90 * 86_400_000,
    log: options.log ?? silentLogger,
    onEnrolled: async (deviceId, certPem) => {
      await options.onEnrolled?.(deviceId, certPem);
      enrolled.push({ deviceId, certPem });
    },
  });
  return {
    server,
    tokens,
    url: `https://127.0.0.1:${server.port}`,
    enrolled,
    async close() {
      await server.close();
      await tokens.close();
    },
  };
}
