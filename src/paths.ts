import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { readJsonOrUndefined } from './json_file.ts';

// __dirname in the CommonJS notebook bundle; import.meta.url in the ESM sources (`node -e` has a relative global __dirname).
const here =
  typeof __dirname === 'string' && isAbsolute(__dirname) ? __dirname : dirname(fileURLToPath(import.meta.url));

/** The folder of percept's package.json, found by walking up from this module (works from src/ and from a bundle). */
export function projectRoot(): string {
  let folder = here;
  for (;;) {
    const manifest = join(folder, 'package.json');
    if (readJsonOrUndefined(manifest, z.looseObject({ name: z.literal('percept') })) !== undefined) return folder;
    const parent = dirname(folder);
    if (parent === folder) throw new Error(`cannot find percept's package.json above ${here}`);
    folder = parent;
  }
}

/** Per-user cache shared by every clone (wheels, extracted libtensorflow), as XDG asks. */
export function userCacheDir(...parts: string[]): string {
  const base =
    process.env['PERCEPT_CACHE_DIR'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'percept');
  return resolve(base, ...parts);
}
