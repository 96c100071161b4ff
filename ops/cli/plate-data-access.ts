/**
 * What every CLI path to plate data shares (POLICY P10): the request must name a user, agency,
 * purpose and case number, and the access is recorded in the data directory's access log
 * before anything is shown. `store show` and `alerts` both go through here, so the rules cannot
 * drift between them.
 */
import * as path from 'node:path';
import { checkAccessRequest, FileDataAccessLog, type DataAccessRequest } from '../../firmware/audit/data-access';
import { CliError } from './cli-error';

/** The file the CLI records plate-data access in, inside the data directory. */
export const ACCESS_LOG_FILE = 'access-log.jsonl';

/** The access options as commander hands them over. */
export interface AccessOptions {
  user?: string;
  agency?: string;
  purpose?: string;
  case?: string;
}

/** The complete request, or a usage error (exit 2) naming what is missing, prefixed with the command. */
export function accessRequestOf(command: string, options: AccessOptions): DataAccessRequest {
  const request = checkAccessRequest({ user: options.user, agency: options.agency, purpose: options.purpose, caseNumber: options.case });
  if ('problem' in request) throw new CliError(`${command}: ${request.problem} (--user, --agency, --purpose, --case)`);
  return request;
}

/** Records one CLI access durably; the caller shows nothing unless this resolves. */
export function recordAccess(dataDir: string, request: DataAccessRequest, action: string, terms: string[]): Promise<void> {
  return new FileDataAccessLog(path.join(dataDir, ACCESS_LOG_FILE)).record({ ...request, at: new Date().toISOString(), via: 'cli', action, terms });
}
