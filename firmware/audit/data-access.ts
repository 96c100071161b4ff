/**
 * Every access to plate data names who, for which agency, why and for which case (POLICY P10),
 * and is recorded before the data is shown. This is the hook point: an append-only JSON-lines
 * file now; the audit issue replaces it with the hash-chained audit log behind the same interface.
 */
import { closeSync, fsyncSync, openSync, writeSync, constants as fsc } from 'node:fs';
import { makePrivate } from '../store/private-file';

export interface DataAccessRequest {
  user: string;
  agency: string;
  /** What for. "Investigation" alone is not a purpose (P10). */
  purpose: string;
  caseNumber: string;
}

export interface DataAccessEntry extends DataAccessRequest {
  /** ISO time of the access. */
  at: string;
  /** How: "cli", "diagnostics", "central". */
  via: string;
  /** What was done: "show read". */
  action: string;
  /** The query terms: record ids, or the plate searched for. */
  terms: string[];
}

export interface DataAccessLog {
  /** Records the access durably; the caller shows nothing unless this resolves. */
  record(entry: DataAccessEntry): Promise<void>;
}

const FIELD_MAX = 200;

/** The request, complete, or why it may not see plate data. */
export function checkAccessRequest(request: Partial<DataAccessRequest>): DataAccessRequest | { problem: string } {
  const { user, agency, purpose, caseNumber } = request;
  for (const [field, value] of Object.entries({ user, agency, purpose, caseNumber })) {
    if (typeof value !== 'string' || value.trim() === '' || value.length > FIELD_MAX || /[\u0000-\u001f\u007f]/.test(value)) {
      return { problem: `${field} is required (1 to ${FIELD_MAX} printable characters): reading plate data must name a user, agency, purpose and case number` };
    }
  }
  if (user === undefined || agency === undefined || purpose === undefined || caseNumber === undefined) return { problem: 'incomplete request' };
  if (/^\s*(an?\s+)?investigation\s*\.?\s*$/i.test(purpose)) {
    return { problem: 'purpose "investigation" alone is not a purpose: say what is being investigated (POLICY P10)' };
  }
  return { user, agency, purpose, caseNumber };
}

/** Appends one JSON line per access to a 0600 file and fsyncs it before resolving. */
export class FileDataAccessLog implements DataAccessLog {
  constructor(readonly file: string) {}

  async record(entry: DataAccessEntry): Promise<void> {
    const fd = openSync(this.file, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT, 0o600);
    try {
      makePrivate(fd);
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
