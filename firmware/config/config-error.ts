/** Stable codes so callers and tests can tell failures apart without parsing messages. */
export type ConfigErrorCode =
  /** The file could not be read (missing, unreadable, too large). */
  | 'CONFIG_UNREADABLE'
  /** The file is not valid YAML (or JSON). */
  | 'CONFIG_SYNTAX'
  /** The file parsed, but one or more keys have values the schema refuses. */
  | 'CONFIG_INVALID';

export interface ConfigIssue {
  /** Dotted key path, e.g. "camera.synthetic.fps" or "pipeline.plateFormat.custom[1].pattern"; "" for the whole file. */
  path: string;
  /** The value found in the file; undefined when the key is absent. */
  value: unknown;
  /** What is wrong and what is allowed, e.g. "must be a number from 1 to 120". */
  message: string;
  /** 1-based line in the file, when the problem can be placed. */
  line?: number;
}

/** A config that cannot be used. The message lists every issue, one per line. */
export class ConfigError extends Error {
  constructor(
    readonly code: ConfigErrorCode,
    /** The file (or other source name) the config came from. */
    readonly source: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(issues.map((issue) => formatConfigIssue(source, issue)).join('\n'));
    this.name = 'ConfigError';
  }
}

/** `config /etc/sightline.yaml line 7: camera.synthetic.fps = 0: must be a number from 1 to 120` */
export function formatConfigIssue(source: string, issue: ConfigIssue): string {
  const where = issue.line === undefined ? `config ${source}` : `config ${source} line ${issue.line}`;
  const what = issue.path === '' ? '' : `${issue.path} = ${showValue(issue.value)}: `;
  return `${where}: ${what}${issue.message}`;
}

const MAX_SHOWN = 80;

function showValue(value: unknown): string {
  if (value === undefined) return '(not set)';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 3)}...` : text;
}
