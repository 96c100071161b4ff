/** List names become file names (DATA/hotlists/<list>.json): a safe alphabet, no separators, no leading dot. */
export const HOTLIST_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** What is wrong with a list name, or null when it can be used. */
export function listNameProblem(name: string): string | null {
  return HOTLIST_NAME_PATTERN.test(name)
    ? null
    : `${JSON.stringify(name.slice(0, 80))} is not a usable list name (1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit)`;
}
