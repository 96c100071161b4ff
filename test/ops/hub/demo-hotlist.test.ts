import assert from 'node:assert/strict';
import { DEMO_FEATURED_PLATES } from '../../../drivers/camera/synthetic/featured-plates';
import { randomPlateText } from '../../../drivers/camera/synthetic/plate-text';
import { Random } from '../../../drivers/camera/synthetic/random';
import { areConfusable } from '../../../firmware/hotlist/confusables';
import { hotlistEntrySchema } from '../../../firmware/hotlist/hotlist-entry';
import { parseHotlistText } from '../../../firmware/hotlist/hotlist-file';
import { HotlistMatcher } from '../../../firmware/hotlist/hotlist-matcher';
import { demoHotlist, withOneConfusable } from '../../../ops/hub/demo-hotlist';

const NOW = Date.UTC(2025, 5, 1, 12);

describe('demo hotlist (make run)', () => {
  const list = demoHotlist(NOW);
  const [exact, partial, fuzzy] = DEMO_FEATURED_PLATES;

  it('lists each featured plate once, one per rule, as demo data that passes the entry schema', () => {
    assert.equal(list.list, 'DEMO');
    assert.deepEqual(
      list.entries.map((e) => [e.plate, e.reason, e.caseNumber]),
      [
        [exact, 'stolen vehicle (demo)', 'DEMO-0001'],
        [`${partial.slice(0, 4)}*`, 'BOLO partial plate (demo)', 'DEMO-0002'],
        [withOneConfusable(fuzzy), 'wanted person (demo)', 'DEMO-0003'],
      ],
    );
    for (const entry of list.entries) {
      assert.deepEqual(hotlistEntrySchema.parse(entry), entry);
      assert.deepEqual([entry.list, entry.enteredBy, entry.enteredAt, entry.expiresAt, entry.state], ['DEMO', 'demo hub', NOW, null, null]);
      assert.match(entry.synopsis, /[Dd]emo data/);
    }
    // The fuzzy entry differs from the plate shown by exactly one confusable character.
    const listed = list.entries[2].plate;
    const differing = [...fuzzy].map((ch, i) => [ch, listed[i]]).filter(([a, b]) => a !== b);
    assert.equal(differing.length, 1);
    assert.ok(areConfusable(differing[0][0], differing[0][1]), `${differing[0]}`);
  });

  it('is the signed form a device parses: { list, version, generatedAt, entries }, a newer version each time', () => {
    const parsed = parseHotlistText(list.snapshot, 'json', { list: 'DEMO' });
    assert.equal(parsed.refused, false, JSON.stringify(parsed.errors));
    assert.deepEqual([parsed.list, parsed.version, parsed.generatedAt], ['DEMO', NOW, NOW]);
    assert.deepEqual(parsed.entries, list.entries);
    assert.ok(demoHotlist(NOW + 1).version > list.version);
  });

  it('matches the featured plates by the exact, wildcard and fuzzy rules in turn, and random plates not at all', () => {
    const matcher = new HotlistMatcher(list.entries, () => NOW);
    const rules = DEMO_FEATURED_PLATES.map((plate) => matcher.match({ plate, alternatives: [] }).map((m) => [m.rule, m.entry.caseNumber]));
    assert.deepEqual(rules, [[['exact', 'DEMO-0001']], [['wildcard', 'DEMO-0002']], [['fuzzy', 'DEMO-0003']]]);
    assert.match(matcher.match({ plate: fuzzy, alternatives: [] })[0].why, /^fuzzy: /);

    const rng = new Random(2025);
    for (let i = 0; i < 2000; i += 1) {
      const { text } = randomPlateText(rng);
      if (DEMO_FEATURED_PLATES.includes(text)) continue;
      assert.deepEqual(matcher.match({ plate: text, alternatives: [] }), [], `random plate ${text}`);
    }
  });

  it('changes a character that has a confusable partner, and refuses a plate with none', () => {
    assert.equal(withOneConfusable('7SLN285'), '75LN285');
    assert.equal(withOneConfusable('8AB'), 'BAB');
    assert.throws(() => withOneConfusable('7AC'), /no character with a confusable partner/);
    assert.throws(() => demoHotlist(NOW, ['8DEM123']), /needs three featured plates/);
  });
});
