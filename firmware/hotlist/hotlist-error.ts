/** Why a list was refused, as stable codes tests and the uplink's refusals map from. */
export type HotlistErrorCode =
  /** Bad rows, a bad snapshot or list name: nothing was replaced. */
  | 'HOTLIST_INVALID'
  /** A snapshot from central without a signature, or one the pinned CA did not make. */
  | 'HOTLIST_BAD_SIGNATURE'
  /** A snapshot older (lower version) than the list held: a replay never rolls a list back. */
  | 'HOTLIST_OLDER'
  /** No list of that name. */
  | 'HOTLIST_NOT_FOUND';

export interface RowError {
  /** CSV: the line the record starts on (the header is line 1). JSON: the entry's place in its array, from 1. null: the file as a whole. */
  row: number | null;
  /** The field at fault, or null when it is the whole row or file. */
  field: string | null;
  message: string;
}

export class HotlistError extends Error {
  constructor(
    readonly code: HotlistErrorCode,
    message: string,
    /** The rows at fault, when refused for bad rows. */
    readonly rows: readonly RowError[] = [],
  ) {
    super(message);
    this.name = 'HotlistError';
  }
}
