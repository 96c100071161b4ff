import type { HotlistEntry } from '../../../firmware/hotlist/hotlist-entry';

export const HEADER = 'plate,state,list,reason,caseNumber,enteredBy,synopsis,enteredAt,expiresAt';

/** Entered 2024-05-01T00:00:00Z. */
export const ENTERED = Date.UTC(2024, 4, 1);

/** A valid entry of `list`, plate 7ABC10i (i < 1000). */
export function listEntry(i: number, list = 'CA-SVS', overrides: Partial<HotlistEntry> = {}): HotlistEntry {
  return {
    plate: `7ABC${String(i).padStart(3, '0')}`,
    state: 'CA',
    list,
    reason: 'stolen vehicle',
    caseNumber: `C-2024-${i}`,
    enteredBy: 'officer.ortiz',
    synopsis: `entry ${i}`,
    enteredAt: ENTERED,
    expiresAt: null,
    ...overrides,
  };
}
