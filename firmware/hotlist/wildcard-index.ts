/**
 * Partial plates ('?' one character, '*' any run, none included), compiled to anchored regular
 * expressions. Lists hold few of them, but a read should still test only the patterns that could
 * fit: each is filed under its first character when that is literal, else under its last when
 * that is literal, else in a short list tried for every read; and a length check runs before the
 * expression.
 */

interface Pattern {
  /** Entry number in the matcher's entries. */
  entry: number;
  regex: RegExp;
  minLength: number;
  maxLength: number;
}

/** '?' -> one character, a run of '*' -> any run; plates hold only A-Z 0-9 ? *, so nothing else needs escaping. */
export function wildcardRegex(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/\?/g, '[A-Z0-9]').replace(/\*+/g, '[A-Z0-9]*')}$`);
}

export class WildcardIndex {
  private readonly byFirst = new Map<string, Pattern[]>();
  private readonly byLast = new Map<string, Pattern[]>();
  private readonly anywhere: Pattern[] = [];
  private count = 0;

  add(entry: number, pattern: string): void {
    const fixed = pattern.replace(/\*/g, '').length;
    const item: Pattern = {
      entry,
      regex: wildcardRegex(pattern),
      minLength: fixed,
      maxLength: pattern.includes('*') ? Number.POSITIVE_INFINITY : fixed,
    };
    const first = pattern[0];
    const last = pattern[pattern.length - 1];
    if (first !== '?' && first !== '*') push(this.byFirst, first, item);
    else if (last !== '?' && last !== '*') push(this.byLast, last, item);
    else this.anywhere.push(item);
    this.count += 1;
  }

  get size(): number {
    return this.count;
  }

  /** Calls `visit` with the entry number of every pattern the text fits. */
  each(text: string, visit: (entry: number) => void): void {
    if (this.count === 0 || text.length === 0) return;
    const tryAll = (items: Pattern[] | undefined): void => {
      if (items === undefined) return;
      for (const item of items) {
        if (text.length >= item.minLength && text.length <= item.maxLength && item.regex.test(text)) visit(item.entry);
      }
    };
    tryAll(this.byFirst.get(text[0]));
    tryAll(this.byLast.get(text[text.length - 1]));
    tryAll(this.anywhere);
  }
}

function push(map: Map<string, Pattern[]>, key: string, item: Pattern): void {
  const items = map.get(key);
  if (items === undefined) map.set(key, [item]);
  else items.push(item);
}
