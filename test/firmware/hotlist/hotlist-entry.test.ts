import assert from 'node:assert/strict';
import { hotlistEntrySchema, isExpired, normalizePlate } from '../../../firmware/hotlist/hotlist-entry';

const valid = {
  plate: '7ABC123',
  state: 'CA',
  list: 'CA-SVS',
  reason: 'stolen vehicle',
  caseNumber: '25-001234',
  enteredBy: 'Officer Diaz #4411',
  synopsis: 'Grey Honda Civic, taken from a driveway overnight',
  enteredAt: 1_735_689_600_000,
  expiresAt: null,
};

function problems(input: unknown): [string, string][] {
  const result = hotlistEntrySchema.safeParse(input);
  assert.equal(result.success, false, 'expected the entry to be refused');
  return result.error!.issues.map((issue) => [issue.path.join('.'), issue.message]);
}

describe('hotlist entry', () => {
  it('normalizes a plate: upper case, no spaces, dashes or dots', () => {
    assert.equal(normalizePlate(' 7abc-12.3 '), '7ABC123');
    assert.equal(normalizePlate('7ab?12*'), '7AB?12*');
  });

  it('accepts a full entry, normalizing the plate and the state', () => {
    const parsed = hotlistEntrySchema.parse({ ...valid, plate: '7abc 123', state: 'ca' });
    assert.deepEqual(parsed, { ...valid, plate: '7ABC123', state: 'CA' });
  });

  it('accepts a partial plate with wildcards, an unknown state, an empty synopsis and an expiry', () => {
    const parsed = hotlistEntrySchema.parse({ ...valid, plate: '7AB?12*', state: null, synopsis: '', expiresAt: valid.enteredAt + 1 });
    assert.equal(parsed.plate, '7AB?12*');
    assert.equal(parsed.state, null);
  });

  it('refuses an entry missing required fields, naming each one', () => {
    const { caseNumber: _c, enteredBy: _e, plate: _p, ...rest } = valid;
    assert.deepEqual(problems(rest), [
      ['plate', 'required'],
      ['caseNumber', 'required'],
      ['enteredBy', 'required'],
    ]);
  });

  it('refuses empty required text and unknown keys', () => {
    assert.deepEqual(problems({ ...valid, reason: '', caseNumber: '', color: 'grey' }), [
      ['reason', 'must be a reason (1 to 128 characters)'],
      ['caseNumber', 'must be a case number (1 to 128 characters)'],
      ['', 'unknown key "color"; allowed keys: plate, state, list, reason, caseNumber, enteredBy, synopsis, enteredAt, expiresAt'],
    ]);
  });

  it('refuses bad plates: other characters, too long, a pattern with fewer than 3 known characters', () => {
    assert.match(problems({ ...valid, plate: '7ABC#23' })[0][1], /must be A-Z, 0-9, '\?' or '\*'/);
    assert.match(problems({ ...valid, plate: 'ABCDEFGHIJKLM' })[0][1], /at most 12 characters/);
    assert.match(problems({ ...valid, plate: '7*' })[0][1], /at least 3 known characters/);
    assert.match(problems({ ...valid, plate: '' })[0][1], /must not be empty/);
  });

  it('refuses a bad state, a long synopsis and times that are not ms integers', () => {
    assert.deepEqual(problems({ ...valid, state: 'Calif', synopsis: 'x'.repeat(501), enteredAt: '2025-01-01', expiresAt: 1.5 }), [
      ['state', 'must be a two-letter state/province code, or null'],
      ['synopsis', 'must be a synopsis (at most 500 characters)'],
      ['enteredAt', 'must be enteredAt: an integer number of ms since 1970'],
      ['expiresAt', 'must be expiresAt: an integer number of ms since 1970'],
    ]);
  });

  it('is expired from its expiry on, never without one', () => {
    assert.equal(isExpired({ ...valid, expiresAt: 1000 }, 999), false);
    assert.equal(isExpired({ ...valid, expiresAt: 1000 }, 1000), true);
    assert.equal(isExpired(valid, Number.MAX_SAFE_INTEGER), false);
  });
});
