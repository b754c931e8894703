/**
 * The run's checkpoint after every epoch (docs/ARCHITECTURE.md §3 `checkpoint/`): model weights, optimizer slots, the best
 * weights early stopping holds, and the JSON state of the loop and its callbacks. Each epoch is written into its own
 * folder, whose `manifest.json` (the size and SHA-256 of every file) is written last, and only then published by
 * rewriting `latest.json` atomically. A kill at any moment therefore leaves the previous complete checkpoint readable,
 * and a file damaged later (a full disk, a copy cut short, an edit) is caught by its checksum before anything is
 * decoded. The two newest complete folders are kept, so that a damaged newest one can fall back to the one before.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError, errorMessage } from '../errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../atomic.ts';
import { readJsonOrUndefined } from '../json_file.ts';
import { encodedFiles, parseEncodedFiles, type EncodedWeights } from '../models/weights_io.ts';

/** One epoch's record in history.json. */
export interface EpochRecord {
  /** 1-based epoch number over all stages. */
  epoch: number;
  /** 0-based stage index (0 without stages). */
  stage: number;
  lr: number;
  seconds: number;
  /** loss, acc, val_loss, val_acc, per-output figures ... */
  logs: Record<string, number>;
}

/** JSON part of a checkpoint. */
export interface CheckpointState {
  /** Epochs finished. */
  epoch: number;
  /** Optimizer steps taken (seeds the per-step dropout masks). */
  step: number;
  learningRate: number;
  history: EpochRecord[];
  /** `state()` of each callback, in the order the trainer holds them. */
  callbacks: unknown[];
  stopTraining: boolean;
  stopReason?: string;
  /** Seconds spent in training over all sessions up to this checkpoint (absent in checkpoints of older versions). */
  trainSeconds?: number;
}

export interface CheckpointFiles {
  model: EncodedWeights;
  optimizer: EncodedWeights;
  best?: EncodedWeights;
}

export interface Checkpoint extends CheckpointFiles {
  state: CheckpointState;
}

/** A checkpoint read back, with the folder it came from (for messages). */
export interface LoadedCheckpoint extends Checkpoint {
  folder: string;
}

const LATEST = 'latest.json';
const MANIFEST = 'manifest.json';
const STATE = 'state.json';
/** Complete checkpoints kept on disk: the newest, and one to fall back to when the newest is damaged. */
const KEEP = 2;

// JSON writes NaN as null (a NaN validation figure of a task without targets): read it back as NaN, as the run had it.
const figure = z
  .number()
  .nullable()
  .transform((value) => value ?? Number.NaN);

const STATE_SCHEMA = z.object({
  epoch: z.number().int().min(0),
  step: z.number().int().min(0),
  learningRate: figure,
  history: z.array(
    z.object({
      epoch: z.number().int(),
      stage: z.number().int(),
      lr: figure,
      seconds: figure,
      logs: z.record(z.string(), figure),
    }),
  ),
  callbacks: z.array(z.unknown()),
  stopTraining: z.boolean(),
  stopReason: z.string().optional(),
  trainSeconds: z.number().optional(),
});

const MANIFEST_SCHEMA = z.object({
  epoch: z.number().int().min(0),
  files: z.record(z.string(), z.object({ bytes: z.number().int().min(0), sha256: z.string() })),
});

const LATEST_SCHEMA = z.object({ folder: z.string().regex(/^epoch-\d+$/), epoch: z.number().int().min(0) });

type Manifest = z.infer<typeof MANIFEST_SCHEMA>;

function epochFolder(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}`;
}

/** Epoch folders in `dir`, newest first. */
function epochFolders(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((entry) => /^epoch-\d+$/.test(entry))
    .sort((a, b) => Number(b.slice(6)) - Number(a.slice(6)));
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * True when `dir` holds a checkpoint that was once complete (published, or with its manifest), intact or damaged since:
 * finished epochs that must not be wiped silently. A folder whose write a kill cut short does not count.
 *
 * @example
 * hasCheckpoint('runs/a/checkpoint'); // true after the first epoch
 */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, LATEST)) || epochFolders(dir).some((entry) => existsSync(join(dir, entry, MANIFEST)));
}

/**
 * Writes the checkpoint of a finished epoch and publishes it; keeps the previous complete one.
 *
 * @example
 * saveCheckpoint('runs/a/checkpoint', { state, model: await encodeNamed(...), optimizer: await optimizer.serialize() });
 */
export function saveCheckpoint(dir: string, checkpoint: Checkpoint): void {
  const folder = epochFolder(checkpoint.state.epoch);
  const target = join(dir, folder);
  rmSync(target, { recursive: true, force: true });
  const files: Record<string, Uint8Array> = { [STATE]: Buffer.from(JSON.stringify(checkpoint.state, null, 2) + '\n') };
  for (const part of ['model', 'optimizer', 'best'] as const) {
    const encoded = checkpoint[part];
    if (encoded === undefined) continue;
    const { specs, data } = encodedFiles(encoded);
    files[`${part}.json`] = Buffer.from(specs);
    files[`${part}.bin`] = data;
  }
  const manifest: Manifest = { epoch: checkpoint.state.epoch, files: {} };
  for (const [name, data] of Object.entries(files)) {
    writeFileAtomic(join(target, name), data);
    manifest.files[name] = { bytes: data.byteLength, sha256: sha256(data) };
  }
  // The manifest last: a folder without one is an unfinished write, never mistaken for a checkpoint.
  writeJsonAtomic(join(target, MANIFEST), manifest);
  writeJsonAtomic(join(dir, LATEST), { folder, epoch: checkpoint.state.epoch });
  // Keep this folder and the newest complete one before it; newer ones are from a timeline a resume abandoned.
  const previous = epochFolders(dir).filter(
    (entry) => Number(entry.slice(6)) < checkpoint.state.epoch && existsSync(join(dir, entry, MANIFEST)),
  );
  const keep = new Set([folder, ...previous.slice(0, KEEP - 1)]);
  for (const entry of epochFolders(dir))
    if (!keep.has(entry)) rmSync(join(dir, entry), { recursive: true, force: true });
}

/** A damaged or incomplete checkpoint folder; the message names the file and what is wrong with it. */
class DamagedCheckpoint extends Error {}

function parseJson<T>(file: string, text: string, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new DamagedCheckpoint(`${file} is not valid JSON (${errorMessage(error)})`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DamagedCheckpoint(
      `${file} is malformed (${issue === undefined ? 'invalid' : `${issue.path.join('.') || 'top level'}: ${issue.message}`})`,
    );
  }
  return parsed.data;
}

/** Reads and verifies one epoch folder: every file against the manifest's size and SHA-256 first, then parsed. */
function readFolder(source: string): Checkpoint {
  const manifestFile = join(source, MANIFEST);
  if (!existsSync(manifestFile))
    throw new DamagedCheckpoint(
      `${source} is incomplete (no ${MANIFEST}: the run stopped while writing it, or an older percept wrote it)`,
    );
  const manifest = parseJson(manifestFile, readFileSync(manifestFile, 'utf8'), MANIFEST_SCHEMA);
  const verified = new Map<string, Buffer>();
  for (const [name, expected] of Object.entries(manifest.files)) {
    const file = join(source, name);
    if (!existsSync(file)) throw new DamagedCheckpoint(`${file} is missing`);
    const data = readFileSync(file);
    if (data.byteLength !== expected.bytes)
      throw new DamagedCheckpoint(
        `${file} is damaged: ${data.byteLength} bytes where the checkpoint's manifest records ${expected.bytes} (truncated?)`,
      );
    if (sha256(data) !== expected.sha256)
      throw new DamagedCheckpoint(`${file} is damaged: its SHA-256 differs from the one in the checkpoint's manifest`);
    verified.set(name, data);
  }
  const read = (name: string): Buffer => {
    const data = verified.get(name);
    if (data === undefined) throw new DamagedCheckpoint(`${manifestFile} does not list ${name}`);
    return data;
  };
  const weights = (part: string): EncodedWeights => {
    try {
      return parseEncodedFiles(read(`${part}.json`).toString('utf8'), read(`${part}.bin`));
    } catch (error) {
      if (error instanceof DamagedCheckpoint) throw error;
      throw new DamagedCheckpoint(`${join(source, `${part}.json`)}: ${errorMessage(error)}`);
    }
  };
  return {
    state: parseJson(join(source, STATE), read(STATE).toString('utf8'), STATE_SCHEMA),
    model: weights('model'),
    optimizer: weights('optimizer'),
    ...(verified.has('best.json') ? { best: weights('best') } : {}),
  };
}

/**
 * Which epoch's checkpoint `latest.json` publishes, unverified (a cheap read for messages, e.g. on Ctrl-C); undefined
 * when there is none or `latest.json` is damaged.
 *
 * @example
 * publishedCheckpoint('runs/a/checkpoint'); // { epoch: 3, path: 'runs/a/checkpoint/epoch-0003' }
 */
export function publishedCheckpoint(dir: string): { epoch: number; path: string } | undefined {
  const latest = readJsonOrUndefined(join(dir, LATEST), LATEST_SCHEMA);
  return latest === undefined ? undefined : { epoch: latest.epoch, path: join(dir, latest.folder) };
}

/** Index in `folders` (newest first) of the folder `latest.json` publishes; throws DamagedCheckpoint when it names none. */
function publishedIndex(dir: string, folders: readonly string[]): number {
  const file = join(dir, LATEST);
  if (!existsSync(file)) throw new DamagedCheckpoint(`${file} is missing`);
  const latest = parseJson(file, readFileSync(file, 'utf8'), LATEST_SCHEMA);
  const index = folders.indexOf(latest.folder);
  if (index < 0) throw new DamagedCheckpoint(`${file} names ${latest.folder}, which is missing`);
  return index;
}

/**
 * The last published checkpoint in `dir`, verified; undefined when there is none. A damaged one (or a damaged
 * `latest.json`) is named through `log` and the newest intact one before it is used instead; when no intact one is
 * left this throws a UserError naming the damage and the fix.
 *
 * @example
 * const checkpoint = loadCheckpoint('runs/a/checkpoint', (line) => console.error(line));
 */
export function loadCheckpoint(
  dir: string,
  log: (line: string) => void = () => undefined,
): LoadedCheckpoint | undefined {
  if (!hasCheckpoint(dir)) return undefined;
  const problems: string[] = [];
  const folders = epochFolders(dir);
  let start = 0;
  try {
    start = publishedIndex(dir, folders);
  } catch (error) {
    if (!(error instanceof DamagedCheckpoint)) throw error;
    problems.push(error.message);
  }
  for (const name of folders.slice(start)) {
    const folder = join(dir, name);
    try {
      const checkpoint = readFolder(folder);
      if (problems.length > 0)
        log(
          `${problems.join('; ')}; resuming from the newest intact checkpoint instead, ${folder} (epoch ${checkpoint.state.epoch})`,
        );
      return { ...checkpoint, folder };
    } catch (error) {
      if (!(error instanceof DamagedCheckpoint)) throw error;
      problems.push(error.message);
    }
  }
  throw new UserError(
    `${dir}: no intact checkpoint to resume from: ${problems.join('; ')}. Fix: pass --force to start over from epoch 1`,
  );
}

/**
 * The error for an intact checkpoint that does not fit the model or optimizer being resumed (another architecture or
 * optimizer after a code change): a UserError naming the folder, what did not fit and the fix.
 *
 * @example
 * throw checkpointMismatch('runs/a/checkpoint/epoch-0003', new Error("saved weights lack 'dense/kernel'"));
 */
export function checkpointMismatch(folder: string, error: unknown): UserError {
  return new UserError(
    `${folder}: the checkpoint does not fit this run's model or optimizer (${errorMessage(error)}). Fix: pass --force to start over from epoch 1`,
  );
}
