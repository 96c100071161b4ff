import { existsSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The evaluation photos live beside the repository in ../shared/datasets (or where
 * SIGHTLINE_DATASETS points); a user's machine does not have them, so tests that need them skip.
 */
export function datasetDir(name: string): string | null {
  const root = process.env.SIGHTLINE_DATASETS ?? path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'datasets');
  const dir = path.join(root, name);
  return existsSync(dir) ? dir : null;
}
