/**
 * A read-only multimap from 32-bit plate-key hashes to entry numbers, in two typed arrays sorted
 * by hash. The fuzzy index holds one key per deletion of every listed plate (about 700,000 keys
 * for 100,000 plates): as a Map of strings that is over 40 MB of heap, here it is 8 bytes a key.
 * Hashes collide, so a lookup yields candidates the caller must verify against the entry.
 *
 * The hashes are FNV-1a over the char codes, computed without building the key string: the whole
 * text, the text less one position, or its canonical (confusion-class) form.
 */
import { canonicalCode } from './confusables';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Hash of the whole text. */
export function hashText(text: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

/** Hash of the text with the character at `skip` deleted (equal to hashText of that string). */
export function hashWithout(text: string, skip: number): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i += 1) {
    if (i !== skip) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  }
  return h >>> 0;
}

/** Hash of the text with every character replaced by its confusion-class representative. */
export function hashCanonical(text: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ canonicalCode(text.charCodeAt(i)), FNV_PRIME);
  return h >>> 0;
}

/** Collects (hash, value) pairs, then sorts them once into a PlateHashIndex. */
export class PlateHashIndexBuilder {
  private hashes: Uint32Array;
  private values: Uint32Array;
  private count = 0;

  constructor(expected = 1024) {
    this.hashes = new Uint32Array(Math.max(16, expected));
    this.values = new Uint32Array(Math.max(16, expected));
  }

  add(hash: number, value: number): void {
    if (this.count === this.hashes.length) {
      const hashes = new Uint32Array(this.count * 2);
      const values = new Uint32Array(this.count * 2);
      hashes.set(this.hashes);
      values.set(this.values);
      this.hashes = hashes;
      this.values = values;
    }
    this.hashes[this.count] = hash;
    this.values[this.count] = value;
    this.count += 1;
  }

  build(): PlateHashIndex {
    const n = this.count;
    // LSD radix sort, two 16-bit passes: linear, and stable so equal hashes keep insertion order.
    let keys: Uint32Array = this.hashes.subarray(0, n);
    let vals: Uint32Array = this.values.subarray(0, n);
    let tmpKeys: Uint32Array = new Uint32Array(n);
    let tmpVals: Uint32Array = new Uint32Array(n);
    const counts = new Uint32Array(65537);
    for (const shift of [0, 16]) {
      counts.fill(0);
      for (let i = 0; i < n; i += 1) counts[((keys[i] >>> shift) & 0xffff) + 1] += 1;
      for (let b = 1; b <= 65536; b += 1) counts[b] += counts[b - 1];
      for (let i = 0; i < n; i += 1) {
        const at = counts[(keys[i] >>> shift) & 0xffff]++;
        tmpKeys[at] = keys[i];
        tmpVals[at] = vals[i];
      }
      [keys, tmpKeys] = [tmpKeys, keys];
      [vals, tmpVals] = [tmpVals, vals];
    }
    // Where each top-16-bit bucket starts, so a lookup binary-searches a few keys, not all of them.
    const starts = new Uint32Array(65537);
    for (let i = 0; i < n; i += 1) starts[(keys[i] >>> 16) + 1] += 1;
    for (let b = 1; b <= 65536; b += 1) starts[b] += starts[b - 1];
    // Copies, so the index holds exactly n keys and no builder's spare capacity.
    return new PlateHashIndex(keys.slice(), vals.slice(), starts);
  }
}

export class PlateHashIndex {
  constructor(
    private readonly hashes: Uint32Array,
    private readonly values: Uint32Array,
    private readonly starts: Uint32Array,
  ) {}

  get size(): number {
    return this.hashes.length;
  }

  /** Calls `visit` with every value stored under `hash` (candidates: hashes collide). */
  each(hash: number, visit: (value: number) => void): void {
    const bucket = hash >>> 16;
    let lo = this.starts[bucket];
    let hi = this.starts[bucket + 1];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.hashes[mid] < hash) lo = mid + 1;
      else hi = mid;
    }
    const end = this.starts[bucket + 1];
    for (let i = lo; i < end && this.hashes[i] === hash; i += 1) visit(this.values[i]);
  }
}
