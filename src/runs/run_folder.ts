/**
 * Which folders percept may write into and clean. A run folder carries a marker file that percept writes before
 * anything else; percept deletes only inside a marked folder, and there only the entries it writes itself. A folder
 * at `<out>/<name>` that is not a run (a dataset, the user's files, a plain file) is refused, never emptied, even with
 * --force: `rmSync` of whatever sat there once deleted a dataset that shared the run's name.
 */
import { readdirSync, readFileSync, rmdirSync, rmSync, statSync, type Dirent } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { TEMP_FILE, writeJsonAtomic } from '../atomic.ts';
import { LOCK_FILE, lockRunFolder, type RunLock } from './run_lock.ts';
import { PROBLEMS_FILE, RUN_FILES, TENSORBOARD_DIR } from './run_files.ts';
import { EVENT_FILE } from '../train/tensorboard.ts';

/** The marker: its presence is percept's proof that the folder is a run folder it wrote. */
export const MARKER_FILE = '.percept-run.json';

/** Layout version the marker records; a folder of a newer layout is refused rather than cleaned by older rules. */
export const RUN_FOLDER_FORMAT = 1;

const MARKER = z.looseObject({ format: z.number().int().positive() });

/** A name (or pattern) percept writes, and for a folder what percept writes inside it. */
interface Entry {
  name: string | RegExp;
  inside?: readonly Entry[];
}

/**
 * Everything percept writes into a run folder. A writer that adds an entry adds it here: otherwise a run from before
 * the marker holding it is not adopted, and a rerun leaves the old entry in place.
 */
const RUN_ENTRIES: readonly Entry[] = [
  ...Object.values(RUN_FILES)
    .filter((file) => !file.includes('/'))
    .map((name) => ({ name })),
  { name: PROBLEMS_FILE },
  // Thumbnails as src/runs/examples.ts names them.
  { name: 'examples', inside: [{ name: basename(RUN_FILES.examples) }, { name: /^\d+_[\w.-]+\.png$/ }] },
  // src/train/tensorboard.ts: TensorFlow's event files.
  {
    name: TENSORBOARD_DIR,
    inside: (['train', 'validation'] as const).map((name) => ({
      name,
      inside: [{ name: EVENT_FILE }],
    })),
  },
  // src/models/model_files.ts: tfjs layers format in one shard.
  { name: 'model', inside: [{ name: 'model.json' }, { name: 'weights.bin' }] },
  // src/train/checkpoint.ts: latest.json publishes one epoch-NNNN folder of weight files (.json specs, .bin data) and state.json.
  {
    name: 'checkpoint',
    inside: [
      { name: 'run_key.json' },
      { name: 'latest.json' },
      { name: /^epoch-\d+$/, inside: [{ name: /^[\w-]+\.(json|bin)$/ }] },
    ],
  },
];

/** Percept's own bookkeeping, never cleared while the folder is in use. */
const OWN_FILES = new Set([MARKER_FILE, LOCK_FILE]);

function find(entries: readonly Entry[], dirent: Dirent): Entry | undefined {
  // A symbolic link is neither, so a link where percept writes a folder is not percept's.
  return entries.find(
    (entry) =>
      (typeof entry.name === 'string' ? entry.name === dirent.name : entry.name.test(dirent.name)) &&
      (entry.inside !== undefined) === dirent.isDirectory(),
  );
}

/** Paths under `dir` (relative, `/`-separated) that percept did not write. */
function foreignEntries(dir: string, entries: readonly Entry[], prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((dirent) => {
    if (prefix === '' && OWN_FILES.has(dirent.name)) return [];
    if (dirent.isFile() && TEMP_FILE.test(dirent.name)) return [];
    const entry = find(entries, dirent);
    if (entry === undefined) return [`${prefix}${dirent.name}${dirent.isDirectory() ? '/' : ''}`];
    return entry.inside === undefined
      ? []
      : foreignEntries(join(dir, dirent.name), entry.inside, `${prefix}${dirent.name}/`);
  });
}

/** Removes what percept wrote under `dir`, folders it emptied included; true when `dir` is left empty. */
function removeOwnEntries(dir: string, entries: readonly Entry[]): boolean {
  for (const dirent of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, dirent.name);
    const entry = dirent.isFile() && TEMP_FILE.test(dirent.name) ? { name: dirent.name } : find(entries, dirent);
    if (entry === undefined) continue;
    if (entry.inside === undefined) rmSync(path, { force: true });
    else if (removeOwnEntries(path, entry.inside)) rmdirSync(path);
  }
  return readdirSync(dir).length === 0;
}

function listed(paths: readonly string[]): string {
  return paths.length <= 5 ? paths.join(', ') : `${paths.slice(0, 5).join(', ')} and ${paths.length - 5} more`;
}

/**
 * What sits at `dir`: nothing, a marked run folder, or an unmarked folder holding only percept's run files (empty, or
 * a run written before the marker existed), which percept adopts. Anything else is refused; `fix` says what to do instead.
 */
function inspect(dir: string, fix: string): 'absent' | 'marked' | 'empty' | 'unmarked run' {
  const stat = statSync(dir, { throwIfNoEntry: false });
  if (stat === undefined) return 'absent';
  if (!stat.isDirectory())
    throw new UserError(`${dir}: is a file, not a run folder; percept does not replace it. Fix: ${fix}`);
  const markerFile = join(dir, MARKER_FILE);
  if (statSync(markerFile, { throwIfNoEntry: false }) !== undefined) {
    let marker: z.infer<typeof MARKER>;
    try {
      marker = MARKER.parse(JSON.parse(readFileSync(markerFile, 'utf8')));
    } catch {
      throw new UserError(
        `${markerFile}: not a marker percept wrote (it holds {"format": N}), so ${dir} is not known to be a run folder. Fix: ${fix}`,
      );
    }
    if (marker.format > RUN_FOLDER_FORMAT)
      throw new UserError(
        `${dir}: a run folder of a newer percept (layout ${marker.format}; this one knows ${RUN_FOLDER_FORMAT}). Fix: update percept, or ${fix}`,
      );
    return 'marked';
  }
  const foreign = foreignEntries(dir, RUN_ENTRIES);
  if (foreign.length > 0)
    throw new UserError(
      `${dir}: is not a percept run folder (no ${MARKER_FILE}) and holds ${listed(foreign)}; percept does not delete it, even with --force. Fix: ${fix}`,
    );
  return readdirSync(dir).length === 0 ? 'empty' : 'unmarked run';
}

/**
 * Makes `dir` this process's run folder: refuses what is not a run folder (a UserError whose fix is `fix`), creates or
 * adopts it with the marker, and locks it (src/runs/run_lock.ts). The caller releases the lock.
 *
 * @example
 * const lock = openRunFolder('runs/a', 'choose another name in a.json or another --out', console.error);
 * try { train(); } finally { lock.release(); }
 */
export function openRunFolder(dir: string, fix: string, log: (line: string) => void): RunLock {
  const found = inspect(dir, fix);
  if (found !== 'marked')
    writeJsonAtomic(join(dir, MARKER_FILE), { format: RUN_FOLDER_FORMAT, createdAt: new Date().toISOString() });
  if (found === 'unmarked run')
    log(`${dir}: a run folder from before ${MARKER_FILE} (only percept's run files): adopted and marked`);
  return lockRunFolder(dir, log);
}

/**
 * Empties a marked run folder for a fresh run: removes every entry percept writes, summary.json first so that an
 * interrupted clean never leaves a folder that looks finished, and keeps the marker, the lock and the user's files.
 *
 * @example
 * clearRunFolder('runs/a', console.error); // 'runs/a: kept notes.txt (not percept's)'
 */
export function clearRunFolder(dir: string, log: (line: string) => void): void {
  rmSync(join(dir, RUN_FILES.summary), { force: true });
  removeOwnEntries(dir, RUN_ENTRIES);
  const kept = foreignEntries(dir, RUN_ENTRIES);
  if (kept.length > 0) log(`${dir}: kept ${listed(kept)} (not percept's)`);
}
