/**
 * The hub's enrollment listener: the enrollment server (TLS-PSK, one-time tokens) over the
 * directory's token table. Loaded only when the hub enrolls (see HubServer's `enroll` option).
 */
import { EnrollmentTokens } from '../fleet/enrollment-tokens';
import { EnrollmentServer, type EnrollmentServerOptions } from './enrollment-server';

/** The enrollment server's options, with the hub directory (whose token table it opens) for the tokens. */
export type HubEnrollmentOptions = Omit<EnrollmentServerOptions, 'tokens'> & { dir: string };

export async function startHubEnrollment(o: HubEnrollmentOptions): Promise<{ port: number; close(): Promise<void> }> {
  const tokens = await EnrollmentTokens.open(o.dir);
  let server: EnrollmentServer;
  try {
    const { dir: _dir, ...options } = o;
    server = await EnrollmentServer.start({ ...options, tokens });
  } catch (err) {
    await tokens.close().catch(() => undefined);
    throw err;
  }
  return {
    port: server.port,
    close: async () => {
      await server.close();
      await tokens.close();
    },
  };
}
