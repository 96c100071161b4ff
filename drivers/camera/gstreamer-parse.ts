import { CameraError } from './camera-error';

/**
 * A syntax-level reading of a gst-launch style pipeline string, enough to name what is wrong
 * before OpenCV gets it (OpenCV only ever says "not opened"). It understands "!" links, quoted
 * property values ("..." with backslash escapes, '...'), caps such as
 * `video/x-raw(memory:NVMM),width=(int)1920,format={NV12,I420}` and `name.` references, but it is
 * not a full grammar: GStreamer itself remains the judge of everything it accepts.
 */

/** An element to instantiate from a factory, with its properties (values unquoted). */
export interface PipelineElement {
  kind: 'element';
  /** 1-based position among the "!"-separated parts, the number error messages use. */
  position: number;
  factory: string;
  properties: ReadonlyMap<string, string>;
}

/** A caps filter such as `video/x-raw,format=BGR`. */
export interface PipelineCaps {
  kind: 'caps';
  position: number;
  text: string;
  mediaType: string;
  /** The single `format=` value, or null when absent or a list. */
  format: string | null;
}

/** A link to a named element (`t.`, `demux.video_0`), used in branching pipelines. */
export interface PipelineReference {
  kind: 'reference';
  position: number;
  name: string;
}

export type PipelineNode = PipelineElement | PipelineCaps | PipelineReference;

export interface ParsedPipeline {
  text: string;
  nodes: PipelineNode[];
}

const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const CLOSERS = new Set(Object.values(OPENERS));
const CAPS_MEDIA_TYPE = /^[A-Za-z0-9][\w.+-]*\/[\w.+-]+/;
const FACTORY_NAME = /^[A-Za-z0-9][\w-]*$/;
const REFERENCE = /^[A-Za-z_][\w-]*\.[\w%-]*$/;
const PROPERTY_KEY = /^[A-Za-z_][\w-]*(::[A-Za-z_][\w-]*)*$/;

function invalid(message: string): CameraError {
  return new CameraError('PIPELINE_INVALID', `GStreamer pipeline ${message}`);
}

interface Part {
  text: string;
  position: number;
}

/** Splits at top-level "!" (not inside quotes or brackets), checking quotes and brackets balance. */
function splitLinks(pipeline: string): Part[] {
  const parts: Part[] = [];
  let start = 0;
  let quote: { ch: string; at: number } | null = null;
  const open: { ch: string; at: number }[] = [];
  for (let i = 0; i < pipeline.length; i++) {
    const c = pipeline[i];
    if (quote) {
      if (quote.ch === '"' && c === '\\') i++;
      else if (c === quote.ch) quote = null;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = { ch: c, at: i };
    } else if (c in OPENERS) {
      open.push({ ch: c, at: i });
    } else if (CLOSERS.has(c)) {
      const top = open.pop();
      if (!top || OPENERS[top.ch] !== c) {
        throw invalid(
          `element ${parts.length + 1} has an unmatched "${c}" at character ${i + 1}`,
        );
      }
    } else if (c === '!' && open.length === 0) {
      parts.push({ text: pipeline.slice(start, i), position: parts.length + 1 });
      start = i + 1;
    }
  }
  if (quote) {
    throw invalid(
      `element ${parts.length + 1} has an unbalanced ${quote.ch} quote (opened at character ${quote.at + 1})`,
    );
  }
  const unclosed = open.pop();
  if (unclosed) {
    throw invalid(
      `element ${parts.length + 1} has an unclosed "${unclosed.ch}" (opened at character ${unclosed.at + 1})`,
    );
  }
  parts.push({ text: pipeline.slice(start), position: parts.length + 1 });
  return parts;
}

/** Splits one part at whitespace outside quotes and brackets. */
function splitWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | null = null;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      current += c;
      if (quote === '"' && c === '\\' && i + 1 < text.length) current += text[++i];
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c in OPENERS) depth++;
    else if (CLOSERS.has(c)) depth--;
    if (/\s/.test(c) && depth === 0) {
      if (current) words.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (current) words.push(current);
  return words;
}

/** Strips one level of quoting the way gst_parse does. */
export function unquoteValue(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) {
    return value.slice(1, -1);
  }
  return value;
}

function parseCaps(text: string, position: number, mediaType: string): PipelineCaps {
  const match = /(?:^|[,;\s])format\s*=\s*(?:\([A-Za-z]+\)\s*)?([A-Za-z0-9_]+)/.exec(text);
  return { kind: 'caps', position, text, mediaType, format: match ? match[1] : null };
}

function parseElements(text: string, position: number): PipelineNode[] {
  const nodes: PipelineNode[] = [];
  let current: { factory: string; properties: Map<string, string> } | null = null;
  for (const word of splitWords(text)) {
    const eq = word.indexOf('=');
    if (eq > 0 && PROPERTY_KEY.test(word.slice(0, eq))) {
      if (!current) {
        throw invalid(`element ${position}: property "${word}" does not follow an element name`);
      }
      current.properties.set(word.slice(0, eq), unquoteValue(word.slice(eq + 1)));
    } else if (REFERENCE.test(word)) {
      nodes.push({ kind: 'reference', position, name: word });
      current = null;
    } else if (FACTORY_NAME.test(word)) {
      current = { factory: word, properties: new Map() };
      nodes.push({ kind: 'element', position, ...current });
    } else {
      throw invalid(`element ${position}: "${word}" is neither an element name nor a property`);
    }
  }
  return nodes;
}

/** Parses a pipeline string; throws CameraError PIPELINE_INVALID naming the element at fault. */
export function parsePipeline(pipeline: string): ParsedPipeline {
  if (pipeline.trim() === '') throw invalid('is empty');
  const nodes: PipelineNode[] = [];
  for (const part of splitLinks(pipeline)) {
    const text = part.text.trim();
    if (text === '') {
      throw invalid(`element ${part.position} is empty (nothing between two "!", or a "!" at an end)`);
    }
    const media = CAPS_MEDIA_TYPE.exec(text);
    if (media) nodes.push(parseCaps(text, part.position, media[0]));
    else nodes.push(...parseElements(text, part.position));
  }
  return { text: pipeline, nodes };
}

export function pipelineElements(parsed: ParsedPipeline): PipelineElement[] {
  return parsed.nodes.filter((n): n is PipelineElement => n.kind === 'element');
}

/**
 * True when the pipeline ends by itself: it reads files (filesrc, a non-looping multifilesrc) or a
 * source has a finite `num-buffers`. Such a pipeline's end of stream is a normal end, not a
 * camera failure, and reopening it would only replay it.
 */
export function pipelineIsFinite(parsed: ParsedPipeline): boolean {
  return pipelineElements(parsed).some((e) => {
    if (e.factory === 'filesrc') return true;
    if (e.factory === 'multifilesrc') return !/^(true|1|yes)$/i.test(e.properties.get('loop') ?? '');
    const n = e.properties.get('num-buffers');
    return n !== undefined && Number(n) >= 0;
  });
}
