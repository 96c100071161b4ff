import assert from 'node:assert/strict';
import { Random } from '../../../drivers/camera/synthetic/random';
import { CONFUSION_CLASSES, areConfusable } from '../../../firmware/hotlist/confusables';
import type { HotlistEntry } from '../../../firmware/hotlist/hotlist-entry';
import { HotlistMatcher, type HotlistMatch, type PlateReadCandidates } from '../../../firmware/hotlist/hotlist-matcher';
import { wildcardRegex } from '../../../firmware/hotlist/wildcard-index';

const NOW = Date.UTC(2025, 5, 1);

function entry(plate: string, more: Partial<HotlistEntry> = {}): HotlistEntry {
  return {
    plate,
    state: null,
    list: 'CA-SVS',
    reason: 'stolen vehicle',
    caseNumber: `case-${plate}`,
    enteredBy: 'Officer Diaz',
    synopsis: '',
    enteredAt: NOW - 86_400_000,
    expiresAt: null,
    ...more,
  };
}

function read(plate: string, alternatives: [string, number][] = [], state?: string | null): PlateReadCandidates {
  return { plate, alternatives: alternatives.map(([text, confidence]) => ({ plate: text, confidence })), state };
}

function matcherOf(plates: (string | HotlistEntry)[], now: () => number = () => NOW, maxConfusable?: number): HotlistMatcher {
  const entries = plates.map((p) => (typeof p === 'string' ? entry(p) : p));
  return new HotlistMatcher(entries, now, maxConfusable === undefined ? {} : { maxConfusable });
}

/** Each match as "LISTED rule matchedText: why", for compact assertions. */
function summary(matches: HotlistMatch[]): string[] {
  return matches.map((m) => `${m.entry.plate} ${m.rule} ${m.matchedText}: ${m.why}`);
}

describe('hotlist matcher', () => {
  describe('exact', () => {
    it('matches the voted plate to a listed plate', () => {
      const [match, ...rest] = matcherOf(['7ABC123', '8XYZ999']).match(read('7ABC123'));
      assert.equal(rest.length, 0);
      assert.equal(match.rule, 'exact');
      assert.equal(match.entry.plate, '7ABC123');
      assert.equal(match.matchedText, '7ABC123');
      assert.deepEqual(match.differences, []);
      assert.equal(match.why, 'exact');
    });

    it('normalizes the read first', () => {
      assert.deepEqual(summary(matcherOf(['7ABC123']).match(read('7abc-123'))), ['7ABC123 exact 7ABC123: exact']);
    });

    it('does not match a plate one non-confusable character away, nor a prefix of a listed plate', () => {
      const matcher = matcherOf(['7ABC123']);
      assert.deepEqual(matcher.match(read('7ABC124')), []);
      assert.deepEqual(matcher.match(read('7AB')), []);
    });
  });

  describe('alternative', () => {
    it("matches one of the read's alternatives, saying which and its confidence", () => {
      const matches = matcherOf(['7ABC123']).match(read('7ABC128', [['7ABC129', 0.4], ['7ABC123', 0.31]]));
      assert.deepEqual(summary(matches), ['7ABC123 alternative 7ABC123: alternative 7ABC123 (0.31)']);
    });

    it('does not match when no alternative is listed', () => {
      assert.deepEqual(matcherOf(['7ABC123']).match(read('7ABC128', [['7ABC129', 0.4], ['7ABC124', 0.3]])), []);
    });
  });

  describe('fuzzy: confusable characters', () => {
    for (const members of CONFUSION_CLASSES) {
      it(`matches every pair of {${[...members].join(',')}}, reporting what differed`, () => {
        for (const listedChar of members) {
          const listed = `XK${listedChar}M47`;
          const matcher = matcherOf([listed]);
          for (const readChar of members) {
            if (readChar === listedChar) continue;
            const [match, ...rest] = matcher.match(read(`XK${readChar}M47`));
            assert.equal(rest.length, 0);
            assert.equal(match?.rule, 'fuzzy', `${readChar} read for listed ${listedChar}`);
            assert.deepEqual(match.differences, [{ kind: 'confusable', at: 2, read: readChar, listed: listedChar }]);
            assert.equal(match.why, `fuzzy: read ${readChar} where the list has ${listedChar} at 3`);
          }
        }
      });

      it(`does not match a member of {${[...members].join(',')}} read as a character outside its class`, () => {
        for (const listedChar of members) {
          const matcher = matcherOf([`XK${listedChar}M47`]);
          for (const readChar of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789') {
            if (members.includes(readChar)) continue;
            assert.deepEqual(matcher.match(read(`XK${readChar}M47`)), [], `${readChar} read for listed ${listedChar}`);
          }
        }
      });
    }

    it('refuses two confusable substitutions by default, and accepts them when the cap allows', () => {
      assert.deepEqual(matcherOf(['7ABC123']).match(read('7A8C1Z3')), []);
      const [match] = matcherOf(['7ABC123'], () => NOW, 2).match(read('7A8C1Z3'));
      assert.equal(match.rule, 'fuzzy');
      assert.deepEqual(match.differences, [
        { kind: 'confusable', at: 2, read: '8', listed: 'B' },
        { kind: 'confusable', at: 5, read: 'Z', listed: '2' },
      ]);
      assert.equal(match.why, 'fuzzy: read 8 where the list has B at 3; read Z where the list has 2 at 6');
    });

    it('refuses two non-confusable differences, and a confusable one beside a non-confusable one', () => {
      const matcher = matcherOf(['7ABC123'], () => NOW, 2);
      assert.deepEqual(matcher.match(read('7AXC193')), []);
      assert.deepEqual(matcher.match(read('7A8C193')), []);
    });
  });

  it('gives no fuzzy match on 10,000 random plate pairs that differ in two or more characters', () => {
    const rng = new Random(2);
    const alphabet = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
    const pairs = Array.from({ length: 10_000 }, () => {
      const plate = Array.from({ length: rng.int(5, 8) }, () => rng.pick(alphabet));
      const listed = [...plate];
      const positions = new Set<number>();
      const differing = rng.int(2, 4);
      while (positions.size < differing) positions.add(rng.int(0, plate.length - 1));
      for (const at of positions) while (listed[at] === plate[at]) listed[at] = rng.pick(alphabet);
      return { read: plate.join(''), listed: entry(listed.join('')) };
    });
    const matcher = new HotlistMatcher(pairs.map((p) => p.listed), () => NOW);
    const fuzzy = pairs.filter((p) => matcher.match(read(p.read)).some((m) => m.entry === p.listed));
    assert.deepEqual(fuzzy.map((p) => `${p.read} ~ ${p.listed.plate}`), []);
  });

  describe('fuzzy: one missing or extra character', () => {
    it('matches a read that lacks one character of the listed plate', () => {
      const [match, ...rest] = matcherOf(['7ABC123']).match(read('7AC123'));
      assert.equal(rest.length, 0);
      assert.equal(match.rule, 'fuzzy');
      assert.deepEqual(match.differences, [{ kind: 'missing', at: 2, read: null, listed: 'B' }]);
      assert.equal(match.why, "fuzzy: the read lacks the list's B at 3");
    });

    it('matches a read with one character the listed plate lacks', () => {
      const [match, ...rest] = matcherOf(['7ABC123']).match(read('7ABXC123'));
      assert.equal(rest.length, 0);
      assert.deepEqual(match.differences, [{ kind: 'extra', at: 3, read: 'X', listed: null }]);
      assert.equal(match.why, 'fuzzy: read an extra X at 4');
    });

    it('names the first character of a run when the missing or extra one is in a run', () => {
      assert.deepEqual(matcherOf(['7ABBC12']).match(read('7ABC12'))[0].differences, [{ kind: 'missing', at: 2, read: null, listed: 'B' }]);
      assert.deepEqual(matcherOf(['7ABC12']).match(read('7ABBC12'))[0].differences, [{ kind: 'extra', at: 2, read: 'B', listed: null }]);
    });

    it('refuses two missing, two extra, or one missing beside another difference', () => {
      const matcher = matcherOf(['7ABC123']);
      assert.deepEqual(matcher.match(read('7AC12')), []);
      assert.deepEqual(matcher.match(read('7ABXYC123')), []);
      assert.deepEqual(matcher.match(read('7AC124')), []);
      assert.deepEqual(matcher.match(read('7AC1Z3')), [], 'missing plus a confusable');
      assert.deepEqual(matcher.match(read('7ABXC124')), []);
    });

    it('leaves listed plates under 4 characters to the exact rules', () => {
      const matcher = matcherOf(['AB1', 'A0B1']);
      assert.deepEqual(matcher.match(read('AB')), []);
      assert.deepEqual(matcher.match(read('AB12')), []);
      assert.deepEqual(summary(matcher.match(read('AB1'))), ['AB1 exact AB1: exact', "A0B1 fuzzy AB1: fuzzy: the read lacks the list's 0 at 2"]);
      assert.deepEqual(summary(matcher.match(read('A0BX1'))), ['A0B1 fuzzy A0BX1: fuzzy: read an extra X at 4']);
      assert.deepEqual(summary(matcher.match(read('AOB1'))), ['A0B1 fuzzy AOB1: fuzzy: read O where the list has 0 at 2']);
    });
  });

  describe('wildcards', () => {
    it("'?' stands for exactly one character", () => {
      const matcher = matcherOf(['7AB?123']);
      assert.deepEqual(summary(matcher.match(read('7ABX123'))), ['7AB?123 wildcard 7ABX123: wildcard 7AB?123']);
      assert.deepEqual(matcher.match(read('7AB123')), []);
      assert.deepEqual(matcher.match(read('7ABXY123')), []);
    });

    it("'*' stands for any run, none included, at the start, middle or end", () => {
      const matcher = matcherOf(['7AB?12*', '*X99', '7*123']);
      const hits = (plate: string): string[] => matcher.match(read(plate)).map((m) => m.entry.plate);
      assert.deepEqual(hits('7ABC12'), ['7AB?12*']);
      assert.deepEqual(hits('7ABC12345'), ['7AB?12*']);
      assert.deepEqual(hits('7ACX123'), ['7*123']);
      assert.deepEqual(hits('7123'), ['7*123']);
      assert.deepEqual(hits('ABCX99'), ['*X99']);
      assert.deepEqual(hits('X99'), ['*X99']);
      assert.deepEqual(hits('7ACX12'), []);
      assert.deepEqual(hits('X991'), []);
    });

    it('matches alternatives too, saying which', () => {
      const matches = matcherOf(['7AB?12*']).match(read('1XYZ000', [['7ABQ129', 0.25]]));
      assert.deepEqual(summary(matches), ['7AB?12* wildcard 7ABQ129: wildcard 7AB?12* on alternative 7ABQ129 (0.25)']);
    });

    it('is literal: no confusable or missing-character tolerance inside a pattern', () => {
      const matcher = matcherOf(['7AB?12*']);
      assert.deepEqual(matcher.match(read('7A8X12')), []);
      assert.deepEqual(matcher.match(read('7AX12')), []);
    });

    it('compiles patterns that only take plate characters', () => {
      assert.equal(wildcardRegex('7AB?12*').test('7AB-12'), false);
      assert.equal(wildcardRegex('7AB?12*').test('7ABZ12'), true);
    });
  });

  describe('expiry', () => {
    it('never matches an expired entry, under any rule', () => {
      const expired = { expiresAt: NOW };
      const matcher = matcherOf([entry('7ABC123', expired), entry('7AB?12*', expired), entry('8XYZ999', expired)]);
      assert.deepEqual(matcher.match(read('7ABC123', [['8XYZ999', 0.3]])), []);
      assert.deepEqual(matcher.match(read('7A8C123')), []);
    });

    it('stops matching once the expiry passes, without a rebuild', () => {
      let now = NOW;
      const matcher = matcherOf([entry('7ABC123', { expiresAt: NOW + 1000 })], () => now);
      assert.equal(matcher.match(read('7ABC123')).length, 1);
      now = NOW + 999;
      assert.equal(matcher.match(read('7ABC123')).length, 1);
      now = NOW + 1000;
      assert.deepEqual(matcher.match(read('7ABC123')), []);
      assert.equal(matcher.size, 1, 'expired entries stay held');
    });
  });

  describe('several lists and ordering', () => {
    it('reports one match per entry, for each list the plate is on', () => {
      const matcher = matcherOf([entry('7ABC123', { list: 'CA-SVS' }), entry('7ABC123', { list: 'COUNTY-BOLO', reason: 'wanted person' }), entry('8XYZ999', { list: 'AGENCY' })]);
      const matches = matcher.match(read('7ABC123'));
      assert.deepEqual(
        matches.map((m) => [m.entry.list, m.entry.reason, m.rule]),
        [
          ['CA-SVS', 'stolen vehicle', 'exact'],
          ['COUNTY-BOLO', 'wanted person', 'exact'],
        ],
      );
    });

    it('orders matches best rule first: exact, alternative, wildcard, fuzzy', () => {
      const matcher = matcherOf([entry('7A8C123', { list: 'D' }), entry('7AB*', { list: 'C' }), entry('4XYZ999', { list: 'B' }), entry('7ABC123', { list: 'A' })]);
      const matches = matcher.match(read('7ABC123', [['4XYZ999', 0.2]]));
      assert.deepEqual(
        matches.map((m) => `${m.entry.list} ${m.rule}`),
        ['A exact', 'B alternative', 'C wildcard', 'D fuzzy'],
      );
    });

    it('reports an entry hit by several rules once, under the best; among alternatives the likelier', () => {
      const matcher = matcherOf(['7ABC123']);
      // Voted plate fuzzy (8 for B); the 0.6 alternative fuzzy (Z for 2); the 0.3 alternative listed.
      assert.deepEqual(summary(matcher.match(read('7A8C123', [['7ABC1Z3', 0.6], ['7ABC123', 0.3]]))), [
        '7ABC123 alternative 7ABC123: alternative 7ABC123 (0.30)',
      ]);
      // All fuzzy: the voted plate's comes first.
      assert.deepEqual(summary(matcher.match(read('7ABC1234', [['7ABC1Z3', 0.6], ['7A8C123', 0.7]]))), [
        '7ABC123 fuzzy 7ABC1234: fuzzy: read an extra 4 at 8',
      ]);
      // Both alternatives fuzzy: the likelier one's.
      assert.deepEqual(summary(matcher.match(read('9XYZ000', [['7ABC1Z3', 0.6], ['7A8C123', 0.7]]))), [
        '7ABC123 fuzzy 7A8C123: fuzzy on alternative 7A8C123 (0.70): read 8 where the list has B at 3',
      ]);
    });
  });

  describe('state', () => {
    it('matches when either state is unknown or both agree, not when they differ', () => {
      const matcher = matcherOf([entry('7ABC123', { state: 'CA' }), entry('8XYZ999')]);
      assert.equal(matcher.match(read('7ABC123', [], 'NV')).length, 0);
      assert.equal(matcher.match(read('7ABC123', [], 'ca')).length, 1);
      assert.equal(matcher.match(read('7ABC123', [], null)).length, 1);
      assert.equal(matcher.match(read('7ABC123')).length, 1);
      assert.equal(matcher.match(read('8XYZ999', [], 'NV')).length, 1);
    });
  });

  it('sets aside entries whose plate breaks the entry rules, saying why', () => {
    const matcher = matcherOf(['7ABC123', '7*', '7AB-123']);
    assert.equal(matcher.size, 1);
    assert.deepEqual(
      matcher.rejected.map((r) => [r.entry.plate, r.problem]),
      [
        ['7*', 'plate a wildcard plate must keep at least 3 known characters (got "7*")'],
        ['7AB-123', `plate must be A-Z, 0-9, '?' or '*' (got "7AB-123")`],
      ],
    );
  });

  describe('100,000 entries', function () {
    this.timeout(120_000);
    const rng = new Random(6);
    const alphabet = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
    const randomPlate = (): string => Array.from({ length: rng.int(4, 8) }, () => rng.pick(alphabet)).join('');
    const entries: HotlistEntry[] = [];
    for (let i = 0; i < 100_000; i += 1) {
      const plate = randomPlate();
      const partial = rng.chance(0.005) ? `${plate.slice(0, 3)}${rng.chance(0.5) ? '*' : '??'}` : plate;
      entries.push(entry(partial, { list: rng.pick(['A', 'B', 'C']), expiresAt: rng.chance(0.05) ? NOW : null }));
    }
    const fullPlates = entries.filter((e) => !/[?*]/.test(e.plate)).map((e) => e.plate);
    /** A listed plate, changed the way a reader gets it wrong (or not at all), or an unlisted plate. */
    const readText = (): string => {
      const listed = rng.pick(fullPlates);
      const at = rng.int(0, listed.length - 1);
      switch (rng.int(0, 5)) {
        case 0:
          return listed;
        case 1: {
          const members = CONFUSION_CLASSES.find((m) => m.includes(listed[at]));
          return members === undefined ? listed : listed.slice(0, at) + rng.pick([...members].filter((c) => c !== listed[at])) + listed.slice(at + 1);
        }
        case 2:
          return listed.slice(0, at) + listed.slice(at + 1);
        case 3:
          return listed.slice(0, at) + rng.pick(alphabet) + listed.slice(at);
        case 4:
          return listed.slice(0, at) + rng.pick(alphabet) + listed.slice(at + 1);
        default:
          return randomPlate();
      }
    };

    it('finds exactly what a scan of every entry finds, through its indexes', () => {
      const matcher = new HotlistMatcher(entries, () => NOW);
      assert.equal(matcher.size, 100_000);
      const indexOf = new Map(entries.map((e, i) => [e, i]));
      const counts: Record<string, number> = { exact: 0, alternative: 0, wildcard: 0, fuzzy: 0 };
      for (let i = 0; i < 150; i += 1) {
        const r = read(readText(), [
          [readText(), 0.3],
          [readText(), 0.2],
        ]);
        const got = matcher.match(r).map((m) => `${indexOf.get(m.entry)} ${m.rule} ${m.matchedText}`);
        assert.deepEqual(got.sort(), scan(entries, r).sort(), `read ${JSON.stringify(r)}`);
        for (const m of matcher.match(r)) counts[m.rule] += 1;
      }
      // The reads exercise every rule, so the comparison above covers each index.
      for (const rule of ['exact', 'alternative', 'wildcard', 'fuzzy']) assert.ok(counts[rule] > 0, `no ${rule} match among the reads`);
    });
  });
});

/**
 * The rules applied by brute force to every entry, written from the rule text (not the matcher's
 * code): what the indexes must reproduce. Returns "entryIndex rule matchedText", best rule per entry.
 */
const patterns = new Map<string, RegExp>();
function scan(entries: HotlistEntry[], r: PlateReadCandidates): string[] {
  const texts = [{ text: r.plate, alternative: false }, ...[...r.alternatives].sort((a, b) => b.confidence - a.confidence).map((a) => ({ text: a.plate, alternative: true }))];
  const rank = { exact: 0, alternative: 1, wildcard: 2, fuzzy: 3 } as const;
  const out: string[] = [];
  entries.forEach((e, i) => {
    if (e.expiresAt !== null && e.expiresAt <= NOW) return;
    let best: { rule: keyof typeof rank; text: string } | null = null;
    for (const { text, alternative } of texts) {
      let rule: keyof typeof rank | null = null;
      if (/[?*]/.test(e.plate)) {
        let pattern = patterns.get(e.plate);
        if (pattern === undefined) patterns.set(e.plate, (pattern = new RegExp(`^${e.plate.replace(/\?/g, '.').replace(/\*/g, '.*')}$`)));
        if (pattern.test(text)) rule = 'wildcard';
      } else if (e.plate === text) {
        rule = alternative ? 'alternative' : 'exact';
      } else if (e.plate.length >= 4 && isFuzzy(text, e.plate)) {
        rule = 'fuzzy';
      }
      if (rule !== null && (best === null || rank[rule] < rank[best.rule])) best = { rule, text };
    }
    if (best !== null) out.push(`${i} ${best.rule} ${best.text}`);
  });
  return out;
}

function isFuzzy(read: string, listed: string): boolean {
  if (read.length === listed.length) {
    let differing = -1;
    for (let i = 0; i < read.length; i += 1) {
      if (read[i] === listed[i]) continue;
      if (differing >= 0) return false;
      differing = i;
    }
    return differing >= 0 && areConfusable(read[differing], listed[differing]);
  }
  const [longer, shorter] = read.length > listed.length ? [read, listed] : [listed, read];
  if (longer.length !== shorter.length + 1) return false;
  // Equal up to the first difference, then equal with the longer one's character there skipped.
  let j = 0;
  while (j < shorter.length && longer[j] === shorter[j]) j += 1;
  for (let k = j; k < shorter.length; k += 1) if (longer[k + 1] !== shorter[k]) return false;
  return true;
}
