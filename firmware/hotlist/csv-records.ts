/**
 * A small RFC 4180 CSV reader for hotlist files: comma-separated fields, fields in double quotes
 * may hold commas, line breaks and doubled quotes (""), records end at LF or CRLF, a UTF-8 byte
 * order mark is dropped and blank lines are skipped. A malformed record (a quote inside an
 * unquoted field, text after a closing quote) is reported on its own line and reading goes on at
 * the next record; an unterminated quote swallows the rest of the file, so it ends the file.
 */
export interface CsvRecord {
  /** The line the record starts on (1 = the first line of the file). */
  line: number;
  fields: string[];
}

export interface CsvProblem {
  line: number;
  message: string;
}

export interface CsvResult {
  records: CsvRecord[];
  problems: CsvProblem[];
}

export function readCsv(text: string): CsvResult {
  const records: CsvRecord[] = [];
  const problems: CsvProblem[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;

  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let problem: string | null = null;
    // One record: fields until an unquoted line break or the end of the text.
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        const open = line;
        i++;
        let closed = false;
        while (i < n) {
          const c = text[i];
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        if (!closed) {
          problems.push({ line: open, message: `a quoted field opened on line ${open} is never closed` });
          return { records, problems };
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          problem ??= `field ${fields.length + 1}: text after a closing quote (a quote inside a field is written "")`;
          while (i < n && text[i] !== ',' && text[i] !== '\n') i++;
        }
      } else {
        const from = i;
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') i++;
        field = text.slice(from, i);
        if (field.includes('"')) problem ??= `field ${fields.length + 1}: a quote inside an unquoted field (quote the whole field and write the quote as "")`;
      }
      fields.push(field);
      if (i < n && text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    // End of record: CRLF, LF, a lone CR (old Mac files) or the end of the text.
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    line++;
    if (problem !== null) problems.push({ line: start, message: problem });
    else if (!(fields.length === 1 && fields[0].trim() === '')) records.push({ line: start, fields });
  }
  return { records, problems };
}
