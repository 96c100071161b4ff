/**
 * Renders the documented default config (`sightline config defaults`) from the schema itself, so
 * the documentation cannot drift from what is validated.
 */
import { Document, isMap, isScalar, type YAMLMap } from 'yaml';
import { z } from 'zod';
import { allowedValues, configSchema } from './schema';

const MAX_COMMENT_LINE = 100;

/** The whole default config as YAML, each key's description and allowed values as a comment above it. */
export function describeDefaults(): string {
  const doc = new Document(configSchema.parse({}));
  doc.commentBefore = [
    ` ${configSchema.description ?? 'Configuration'}`,
    ' Every key is optional; the values below are the defaults.',
    ' Printed by `sightline config defaults` from firmware/config/schema.ts.',
  ].join('\n');
  if (!isMap(doc.contents)) throw new Error('config defaults did not render as a mapping');
  annotate(doc.contents, configSchema, '');
  return doc.toString({ lineWidth: 0 });
}

function annotate(map: YAMLMap, schema: z.ZodObject, prefix: string): void {
  map.items.forEach((pair, index) => {
    if (!isScalar(pair.key)) throw new Error(`config defaults: non-scalar key under ${prefix || 'the top level'}`);
    const key = String(pair.key.value);
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const field = schema.shape[key] as z.ZodType | undefined;
    if (field === undefined) throw new Error(`config defaults: ${path} is not in the schema`);

    pair.key.commentBefore = commentLines(field, path).map((line) => ` ${line}`).join('\n');
    // A blank line between top-level sections.
    if (prefix === '' && index > 0) pair.key.spaceBefore = true;

    const inner = unwrap(field);
    if (inner instanceof z.ZodObject && isMap(pair.value)) annotate(pair.value, inner, path);
  });
}

function commentLines(field: z.ZodType, path: string): string[] {
  const description = descriptionOf(field);
  if (description === undefined) throw new Error(`config schema: ${path} has no description`);
  const allowed = allowedOf(field);
  const lines = allowed === undefined ? [description] : joinIfShort(description, `Allowed: ${allowed}.`);

  // A list of sections has no default entries to hang comments on, so its entry keys are listed here.
  const inner = unwrap(field);
  if (inner instanceof z.ZodArray) {
    const element = unwrap(inner.element as z.ZodType);
    if (element instanceof z.ZodObject) {
      lines.push('Each entry:');
      for (const [key, sub] of Object.entries(element.shape as Record<string, z.ZodType>)) {
        const subAllowed = allowedOf(sub);
        lines.push(`  ${key}: ${descriptionOf(sub) ?? ''}${subAllowed === undefined ? '' : ` Allowed: ${subAllowed}.`}`);
      }
    }
  }
  return lines;
}

function joinIfShort(a: string, b: string): string[] {
  return a.length + 1 + b.length <= MAX_COMMENT_LINE ? [`${a} ${b}`] : [a, b];
}

/** Wrappers (default, prefault, nullable, ...) each point at the schema they wrap. */
function innerOf(schema: z.ZodType): z.ZodType | undefined {
  return (schema.def as { innerType?: z.ZodType }).innerType;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let inner = innerOf(s); inner !== undefined; inner = innerOf(s)) s = inner;
  return s;
}

function descriptionOf(schema: z.ZodType): string | undefined {
  for (let s: z.ZodType | undefined = schema; s !== undefined; s = innerOf(s)) {
    if (s.description !== undefined) return s.description;
  }
  return undefined;
}

function allowedOf(schema: z.ZodType): string | undefined {
  for (let s: z.ZodType | undefined = schema; s !== undefined; s = innerOf(s)) {
    const meta = allowedValues.get(s);
    if (meta !== undefined) return meta.allowed;
  }
  return undefined;
}
