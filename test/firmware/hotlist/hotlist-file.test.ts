import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { readCsv } from '../../../firmware/hotlist/csv-records';
import { formatRowError, parseHotlistFile, parseHotlistText, parseTime, refusalSummary } from '../../../firmware/hotlist/hotlist-file';
import { useTempDir } from '../../support/temp-dir';
import { ENTERED, HEADER, listEntry } from './list-fixtures';

/** "row N field" for each error, to compare where errors were found. */
function where(errors: { row: number | null; field: string | null }[]): string[] {
  return errors.map((e) => `${e.row} ${e.field}`);
}

describe('hotlist files', () => {
  describe('CSV reader', () => {
    it('reads quoted commas, doubled quotes, line breaks in quotes, CRLF, a BOM, and skips blank lines', () => {
      const { records, problems } = readCsv('\ufeffa,b,c\r\n"x, y","say ""hi""","two\nlines"\r\n\r\nlast,,\n');
      assert.deepEqual(problems, []);
      assert.deepEqual(records, [
        { line: 1, fields: ['a', 'b', 'c'] },
        { line: 2, fields: ['x, y', 'say "hi"', 'two\nlines'] },
        { line: 5, fields: ['last', '', ''] },
      ]);
    });

    it('reports a stray quote on its line and goes on; an unterminated quote ends the file', () => {
      const { records, problems } = readCsv('a,b\nx"y,1\n"ok",2\n"z"x,3\n3,"open\n4,5\n');
      assert.deepEqual(records.map((r) => r.line), [1, 3]);
      assert.deepEqual(
        problems.map((p) => p.line),
        [2, 4, 5],
      );
      assert.match(problems[0].message, /quote inside an unquoted field/);
      assert.match(problems[1].message, /text after a closing quote/);
      assert.match(problems[2].message, /opened on line 5 is never closed/);
    });
  });

  describe('times', () => {
    it('takes ms, ISO dates (UTC midnight) and ISO date-times with a zone', () => {
      assert.equal(parseTime('1714521600000'), ENTERED);
      assert.equal(parseTime('2024-05-01'), ENTERED);
      assert.equal(parseTime('2024-05-01T00:00:00Z'), ENTERED);
      assert.equal(parseTime('2024-05-01T02:30:00.5+02:30'), ENTERED + 500);
      assert.equal(parseTime('2024-04-30T19:00-0500'), ENTERED);
    });

    it('refuses dates that do not exist, a time without a zone, and other text', () => {
      for (const bad of ['2024-02-30', '2023-02-29T10:00Z', '2024-05-01T24:00Z', '2024-05-01T10:00', 'May 1, 2024', '1.5e12', '']) {
        assert.equal(typeof parseTime(bad), 'string', bad);
      }
      assert.match(parseTime('2024-05-01T10:00') as string, /no time zone/);
    });
  });

  describe('CSV', () => {
    it('loads every row, in any column order, normalizing plates and reading quoted commas', () => {
      const text = [
        'Case Number,plate,state,list,reason,entered_by,synopsis,enteredAt,expiresAt',
        'C-1,7abc-123,ca,CA-SVS,stolen vehicle,ortiz,"grey sedan, dented ""rear"" door",2024-05-01,',
        'C-2,5XY*9,,CA-SVS,wanted person,lee,"two',
        'lines",1714521600000,2024-06-01T00:00:00Z',
      ].join('\r\n');
      const parsed = parseHotlistText(text, 'csv');
      assert.deepEqual(parsed.errors, []);
      assert.equal(parsed.refused, false);
      assert.equal(parsed.rows, 2);
      assert.deepEqual(parsed.entries, [
        { plate: '7ABC123', state: 'CA', list: 'CA-SVS', reason: 'stolen vehicle', caseNumber: 'C-1', enteredBy: 'ortiz', synopsis: 'grey sedan, dented "rear" door', enteredAt: ENTERED, expiresAt: null },
        { plate: '5XY*9', state: null, list: 'CA-SVS', reason: 'wanted person', caseNumber: 'C-2', enteredBy: 'lee', synopsis: 'two\r\nlines', enteredAt: ENTERED, expiresAt: Date.UTC(2024, 5, 1) },
      ]);
    });

    it('refuses the whole file over bad rows, naming each row and field', () => {
      const text = [
        HEADER,
        '7ABC001,CA,CA-SVS,stolen vehicle,C-1,ortiz,ok,2024-05-01,', // line 2: good
        '7ABC002,CA,CA-SVS,,C-2,ortiz,no reason,2024-05-01,', // line 3: reason missing
        '7ABC003,CA,CA-SVS,stolen vehicle,C-3,ortiz,bad date,2024-02-30,', // line 4
        '7AB#04,CA,CA-SVS,stolen vehicle,C-4,ortiz,bad plate,2024-05-01,', // line 5
        '7ABC005,CA,CA-SVS,stolen vehicle,C-5,ortiz,unquoted, comma,2024-05-01,', // line 6: 10 fields
        '7ABC006,CAL,CA-SVS,stolen vehicle,C-6,ortiz,bad state,2024-05-01,2024-04-01', // line 7: bad state
        ',CA,CA-SVS,stolen vehicle,C-7,,no plate or name,2024-05-01,', // line 8: two errors
      ].join('\n');
      const parsed = parseHotlistText(text, 'csv');
      assert.equal(parsed.refused, true);
      assert.deepEqual(parsed.entries, [], 'nothing from a refused file');
      assert.equal(parsed.rows, 7);
      assert.equal(parsed.badRows, 6);
      assert.deepEqual(where(parsed.errors), ['3 reason', '4 enteredAt', '5 plate', '6 null', '7 state', '8 plate', '8 enteredBy']);
      const [reason, date, plate, fields] = parsed.errors;
      assert.equal(reason.message, 'required');
      assert.match(date.message, /"2024-02-30" is not a real date/);
      assert.match(plate.message, /must be A-Z, 0-9/);
      assert.match(fields.message, /10 fields where the header has 9 .*double quotes/);
      assert.equal(formatRowError(reason, 'list.csv'), 'list.csv row 3, reason: required');
      assert.match(refusalSummary(parsed), /6 bad rows of 7 \(rows 3, 4, 5, 6, 7, 8\); nothing was loaded/);
    });

    it('keeps the good rows with skipBadRows, still reporting the bad ones; refuses a file with no good row left', () => {
      const good = '7ABC001,CA,CA-SVS,stolen vehicle,C-1,ortiz,ok,2024-05-01,';
      const bad = '7ABC002,CA,CA-SVS,stolen vehicle,C-2,ortiz,bad,yesterday,';
      const parsed = parseHotlistText([HEADER, good, bad].join('\n'), 'csv', { skipBadRows: true });
      assert.equal(parsed.refused, false);
      assert.deepEqual(parsed.entries.map((e) => e.plate), ['7ABC001']);
      assert.deepEqual(where(parsed.errors), ['3 enteredAt']);
      assert.equal(parseHotlistText([HEADER, bad].join('\n'), 'csv', { skipBadRows: true }).refused, true);
    });

    it('refuses a header with an unknown, doubled or missing column, and an unterminated quote', () => {
      const unknown = parseHotlistText(`${HEADER},colour\n`, 'csv');
      assert.deepEqual([unknown.refused, where(unknown.errors)], [true, ['1 colour']]);
      assert.match(unknown.errors[0].message, /unknown column/);
      assert.match(parseHotlistText(`${HEADER},plate\n`, 'csv').errors[0].message, /named twice/);
      const missing = parseHotlistText('plate,list,reason,enteredAt\n', 'csv');
      assert.deepEqual(where(missing.errors), ['1 caseNumber, enteredBy, synopsis']);
      assert.match(parseHotlistText('', 'csv').errors[0].message, /no header row/);
      const open = parseHotlistText(`${HEADER}\n7ABC001,CA,CA-SVS,stolen,C-1,ortiz,"never closed,2024-05-01,\n`, 'csv');
      assert.deepEqual([open.refused, open.errors[0].row], [true, 2]);
      assert.match(open.errors[0].message, /never closed/);
    });

    it('with a list name: the list column may be left out; a row naming another list is refused', () => {
      const noList = parseHotlistText('plate,reason,caseNumber,enteredBy,synopsis,enteredAt\n7ABC001,stolen,C-1,ortiz,,1714521600000\n', 'csv', { list: 'county-bolo' });
      assert.deepEqual(noList.entries, [listEntry(1, 'county-bolo', { reason: 'stolen', caseNumber: 'C-1', enteredBy: 'ortiz', synopsis: '', state: null })]);
      const other = parseHotlistText(`${HEADER}\n7ABC001,CA,CA-SVS,stolen,C-1,ortiz,,2024-05-01,\n`, 'csv', { list: 'county-bolo' });
      assert.deepEqual(where(other.errors), ['2 list']);
      assert.match(other.errors[0].message, /"CA-SVS" in a file loaded as list "county-bolo"/);
      const withoutName = parseHotlistText('plate,reason,caseNumber,enteredBy,synopsis,enteredAt\n', 'csv');
      assert.match(withoutName.errors[0].message, /column missing.*name the list/);
    });

    it('refuses a list name that cannot be a file name', () => {
      const parsed = parseHotlistText(`${HEADER}\n7ABC001,CA,../x,stolen,C-1,ortiz,,2024-05-01,\n`, 'csv');
      assert.deepEqual(where(parsed.errors), ['2 list']);
      assert.match(parsed.errors[0].message, /not a usable list name/);
    });
  });

  describe('JSON', () => {
    it('loads an array of entries, and the { list, version, generatedAt, entries } form', () => {
      const entries = [listEntry(1), { ...listEntry(2), enteredAt: '2024-05-01T00:00:00Z', state: undefined, expiresAt: undefined }];
      const array = parseHotlistText(JSON.stringify(entries), 'json');
      assert.deepEqual(array.errors, []);
      assert.deepEqual(array.entries, [listEntry(1), listEntry(2, 'CA-SVS', { state: null })]);
      assert.deepEqual([array.list, array.version, array.generatedAt], [null, null, null]);

      const { list: _list, ...withoutList } = listEntry(3);
      const wrapped = parseHotlistText(JSON.stringify({ list: 'CA-SVS', version: 7, generatedAt: '2024-05-02', entries: [withoutList] }), 'json', { list: 'CA-SVS' });
      assert.deepEqual(wrapped.errors, []);
      assert.deepEqual(wrapped.entries, [listEntry(3)]);
      assert.deepEqual([wrapped.list, wrapped.version, wrapped.generatedAt], ['CA-SVS', 7, Date.UTC(2024, 4, 2)]);
    });

    it('numbers bad entries from 1 and names the field; the whole file is refused', () => {
      const { caseNumber: _c, ...noCase } = listEntry(2);
      const parsed = parseHotlistText(JSON.stringify([listEntry(1), noCase, { ...listEntry(3), colour: 'red' }, 'ABC123', { ...listEntry(5), plate: 'AB' + 'C'.repeat(20) }]), 'json');
      assert.equal(parsed.refused, true);
      assert.deepEqual(where(parsed.errors), ['2 caseNumber', '3 colour', '4 null', '5 plate']);
      assert.equal(parsed.errors[0].message, 'required');
      assert.match(parsed.errors[1].message, /unknown key "colour"/);
    });

    it('refuses text that is not JSON, an unknown wrapper key, and a wrapper for another list', () => {
      assert.match(parseHotlistText('{"list": "A", "entries": [', 'json').errors[0].message, /^not JSON/);
      const extra = parseHotlistText(JSON.stringify({ list: 'A', entries: [], signedBy: 'me' }), 'json');
      assert.deepEqual([extra.refused, extra.errors[0].field], [true, 'signedBy']);
      const other = parseHotlistText(JSON.stringify({ list: 'A', entries: [] }), 'json', { list: 'B' });
      assert.deepEqual([other.refused, other.errors[0].field], [true, 'list']);
      assert.match(other.errors[0].message, /the file is list "A", not "B"/);
    });
  });

  describe('from disk', () => {
    const tmp = useTempDir();

    it('takes the format from the extension, or as given', async () => {
      const csv = path.join(tmp(), 'list.csv');
      writeFileSync(csv, `${HEADER}\n7ABC001,CA,CA-SVS,stolen vehicle,C-1,officer.ortiz,entry 1,2024-05-01,\n`);
      assert.deepEqual((await parseHotlistFile(csv)).entries, [listEntry(1, 'CA-SVS', { caseNumber: 'C-1' })]);
      const odd = path.join(tmp(), 'list.txt');
      writeFileSync(odd, JSON.stringify([listEntry(1)]));
      await assert.rejects(parseHotlistFile(odd), /cannot tell the format/);
      assert.equal((await parseHotlistFile(odd, { format: 'json' })).entries.length, 1);
    });
  });
});
