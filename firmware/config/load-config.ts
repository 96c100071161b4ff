/** Reads the appliance config file, validates it against the schema, and places every error on its line. */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error';
import { configSchema, type Config, type RequiredBecause } from './schema';

/** A config is a page of settings; anything larger is a wrong file, refused before parsing. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Loads the config at `path`, or all the defaults when no path is given.
 * @throws ConfigError naming the file, the line, the key, the value and what is allowed.
 */
export function loadConfig(path?: string): Config {
  if (path === undefined) return configSchema.parse({});
  return parseConfig(readConfigText(path), path);
}

/** Parses config text (YAML; JSON is YAML too). `sourceName` names it in errors. */
export function parseConfig(text: string, sourceName: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      'CONFIG_SYNTAX',
      sourceName,
      doc.errors.map((err) => ({
        path: '',
        value: undefined,
        message: `YAML syntax error: ${yamlErrorText(err.message, err.linePos?.[0].col)}`,
        line: err.linePos?.[0].line,
      })),
    );
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // Unresolved or exploding aliases only show up when the document is converted.
    throw new ConfigError('CONFIG_SYNTAX', sourceName, [
      { path: '', value: undefined, message: `YAML error: ${(err as Error).message}` },
    ]);
  }
  // An empty file (or one with only comments) means "all defaults".
  if (data === null || data === undefined) data = {};

  const result = configSchema.safeParse(data, { error: fallbackMessage });
  if (result.success) return result.data;

  const issues = result.error.issues
    .flatMap((issue) => toConfigIssues(issue, data, doc, lineCounter))
    .map((issue, order) => ({ issue, order }))
    // File order reads best; issues that cannot be placed go last.
    .sort((a, b) => (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) || a.order - b.order)
    .map(({ issue }) => issue);
  throw new ConfigError('CONFIG_INVALID', sourceName, issues);
}

function readConfigText(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw unreadable(path, `cannot open the file: ${(err as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw unreadable(path, 'is not a regular file');
    if (stat.size > MAX_CONFIG_BYTES) {
      throw unreadable(path, `is ${stat.size} bytes; a config file may be at most ${MAX_CONFIG_BYTES} bytes`);
    }
    return readFileSync(fd, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw unreadable(path, `cannot read the file: ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

function unreadable(path: string, message: string): ConfigError {
  return new ConfigError('CONFIG_UNREADABLE', path, [{ path: '', value: undefined, message }]);
}

/** The yaml package ends its first line with " at line L, column C:"; the line is given separately. */
function yamlErrorText(message: string, column: number | undefined): string {
  const first = message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  return column === undefined ? first : `${first} (column ${column})`;
}

/** Messages for the rare issue no schema builder worded itself. */
function fallbackMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') return `must be ${String(issue.expected)}`;
  return undefined;
}

function toConfigIssues(
  issue: z.core.$ZodIssue,
  data: unknown,
  doc: Document,
  lineCounter: LineCounter,
): ConfigIssue[] {
  // One issue per unknown key, so each names its own key and line.
  const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
  return paths.map((path) => {
    const value = valueAt(data, path);
    const absent = value === undefined && !hasKey(data, path);
    // A missing key has no line; point at the key that required it, or else the nearest ancestor.
    const because = issue.code === 'custom' ? (issue.params as Partial<RequiredBecause> | undefined)?.because : undefined;
    const linePath = absent && because !== undefined && hasKey(data, because) ? because : path;
    return {
      path: dottedPath(path),
      value,
      message: absent && issue.code === 'invalid_type' ? `missing; ${issue.message}` : issue.message,
      line: lineOf(doc, lineCounter, linePath),
    };
  });
}

/** ["pipeline", "plateFormat", "custom", 1, "pattern"] -> "pipeline.plateFormat.custom[1].pattern" */
export function dottedPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

function hasKey(data: unknown, path: readonly PropertyKey[]): boolean {
  if (path.length === 0) return true;
  const parent = valueAt(data, path.slice(0, -1));
  return parent !== null && typeof parent === 'object' && Object.prototype.hasOwnProperty.call(parent, path[path.length - 1]);
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let node = data;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[seg];
  }
  return node;
}

/**
 * The line of the key at `path`; when the key is absent (a required key left out), the line of
 * its nearest ancestor that is present.
 */
function lineOf(doc: Document, lineCounter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair === undefined) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      offset = rangeStart(node) ?? offset;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range?.[0];
}
