import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { describeDefaults } from '../../../firmware/config/describe-config';
import { loadConfig, parseConfig } from '../../../firmware/config/load-config';

describe('describeDefaults', () => {
  const text = describeDefaults();

  it('parses back into exactly the defaults', () => {
    assert.deepEqual(parse(text), loadConfig());
    assert.deepEqual(parseConfig(text, 'defaults'), loadConfig());
  });

  it('puts a comment above every key', () => {
    const textLines = text.split('\n');
    const keyLines = textLines.map((line, i) => ({ line, i })).filter(({ line }) => /^\s*[A-Za-z]+:/.test(line));
    // Every key of the defaults, sections included, is rendered.
    assert.equal(keyLines.length, countKeys(loadConfig()));
    for (const { line, i } of keyLines) {
      assert.match(textLines[i - 1], /^\s*#/, `no comment above "${line.trim()}"`);
    }
  });

  it('says what each key allows, from the same text the errors use', () => {
    assert.match(text, /# Frames per second\. Allowed: a number from 1 to 120\.\n {4}fps: 25/);
    assert.match(text, /Allowed: one of synthetic, gstreamer, folder, video\.\n {2}source: synthetic/);
    assert.throws(() => parseConfig('camera: { synthetic: { fps: 500 } }', 't'), /must be a number from 1 to 120/);
  });

  it('documents the entries of list keys that have no default entries', () => {
    assert.match(text, /# Each entry:\n\s+#\s+name: .+\n\s+#\s+pattern: .+\n\s+custom: \[\]/);
  });
});

function countKeys(value: unknown): number {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 0;
  return Object.values(value).reduce((n: number, v) => n + 1 + countKeys(v), 0);
}
