import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { RecognizerError } from './recognizer-error';

/** A file the manifest names: inside an npm package (`package`) or beside the manifest. */
export interface ModelFileRef {
  package?: string;
  file: string;
  sha256: string;
}

export interface ModelInputSpec {
  name: string;
  /** Numbers must match the model exactly; strings name a free dimension. */
  shape: (number | string)[];
}

export interface ModelEntry extends ModelFileRef {
  kind: string;
  input: ModelInputSpec;
  charset?: ModelFileRef & { layout?: string };
  source?: string;
}

export interface ModelManifest {
  models: Record<string, ModelEntry>;
}

/** A manifest entry whose file (and charset) passed the checksum. */
export interface VerifiedModel {
  name: string;
  entry: ModelEntry;
  modelPath: string;
  /** Charset lines, when the entry has one. */
  charset?: string[];
}

/** recognizer/models in the source tree (compiled code runs from dist/recognizer). */
export const MODELS_DIR = path.resolve(__dirname, '..', '..', 'recognizer', 'models');
export const DEFAULT_MANIFEST_PATH = path.join(MODELS_DIR, 'manifest.json');

export function readManifest(manifestPath: string = DEFAULT_MANIFEST_PATH): ModelManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (err) {
    throw new RecognizerError('MODEL_MANIFEST_INVALID', `model manifest ${manifestPath}: ${(err as Error).message}`);
  }
  const models = (parsed as { models?: unknown }).models;
  if (typeof models !== 'object' || models === null) {
    throw new RecognizerError('MODEL_MANIFEST_INVALID', `model manifest ${manifestPath}: no "models" object`);
  }
  for (const [name, entry] of Object.entries(models as Record<string, Partial<ModelEntry>>)) {
    for (const key of ['kind', 'file', 'sha256', 'input'] as const) {
      if (entry[key] === undefined) {
        throw new RecognizerError('MODEL_MANIFEST_INVALID', `model manifest ${manifestPath}: model "${name}" lacks "${key}"`);
      }
    }
  }
  return parsed as ModelManifest;
}

function packageRoot(pkg: string, from: string): string | null {
  // Not require.resolve(pkg/package.json): packages with an "exports" map may hide it.
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const candidate = path.join(dir, pkg);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
  }
  const local = path.join(from, 'node_modules', pkg);
  return existsSync(local) ? local : null;
}

export function resolveModelFile(ref: ModelFileRef, manifestDir: string, what: string): string {
  if (!ref.package) return path.resolve(manifestDir, ref.file);
  const root = packageRoot(ref.package, manifestDir);
  if (!root) {
    throw new RecognizerError(
      'MODEL_MISSING',
      `${what}: npm package ${ref.package} is not installed (run \`make setup\` or \`npm ci\`)`,
    );
  }
  return path.join(root, ref.file);
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

async function verifyFile(ref: ModelFileRef, manifestDir: string, what: string): Promise<string> {
  const file = resolveModelFile(ref, manifestDir, what);
  if (!existsSync(file)) {
    throw new RecognizerError('MODEL_MISSING', `${what}: file ${file} is missing (run \`make setup\` to reinstall models)`);
  }
  const actual = await sha256File(file);
  if (actual !== ref.sha256.toLowerCase()) {
    throw new RecognizerError(
      'MODEL_ALTERED',
      `${what}: file ${file} does not match the manifest (sha256 ${actual}, expected ${ref.sha256}); refusing to load an altered model`,
    );
  }
  return file;
}

/** Checks a model's file and charset against the manifest; throws MODEL_MISSING or MODEL_ALTERED. */
export async function verifyModel(
  name: string,
  manifestPath: string = DEFAULT_MANIFEST_PATH,
): Promise<VerifiedModel> {
  const manifest = readManifest(manifestPath);
  const entry = manifest.models[name];
  if (!entry) {
    throw new RecognizerError('MODEL_MANIFEST_INVALID', `model manifest ${manifestPath}: no model named "${name}"`);
  }
  const dir = path.dirname(manifestPath);
  const modelPath = await verifyFile(entry, dir, `model "${name}"`);
  const verified: VerifiedModel = { name, entry, modelPath };
  if (entry.charset) {
    const charsetPath = await verifyFile(entry.charset, dir, `charset of model "${name}"`);
    verified.charset = readFileSync(charsetPath, 'utf8').split('\n').filter((line, i, all) => line !== '' || i < all.length - 1);
  }
  return verified;
}

/** Compares the model's declared input with what the loaded session reports. */
export function checkInputShape(
  model: VerifiedModel,
  actual: { name: string; shape: ReadonlyArray<number | string> } | undefined,
): void {
  const expected = model.entry.input;
  const describe = (shape: ReadonlyArray<number | string>) => `[${shape.join(', ')}]`;
  const mismatch =
    !actual ||
    actual.name !== expected.name ||
    actual.shape.length !== expected.shape.length ||
    expected.shape.some((dim, i) => typeof dim === 'number' && actual.shape[i] !== dim);
  if (mismatch) {
    throw new RecognizerError(
      'MODEL_SHAPE_MISMATCH',
      `model "${model.name}" (${model.modelPath}): input ${actual ? `${actual.name} ${describe(actual.shape)}` : 'missing'} ` +
        `does not match the manifest's ${expected.name} ${describe(expected.shape)}`,
    );
  }
}
