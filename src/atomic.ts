import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * What `writeFileAtomic`'s temp files are called (`<file>.tmp-<pid>-<ms>`): a process killed between write and
 * rename leaves one, and the run folder's cleaning (src/runs/run_folder.ts) recognises it as percept's own.
 */
export const TEMP_FILE = /\.tmp-\d+-\d+$/;

/**
 * Writes a file so that readers see the old content or the new, never half of it (temp file + rename,
 * docs/ARCHITECTURE.md §3): a killed run never leaves a truncated result.
 *
 * @example
 * writeFileAtomic('runs/a/metrics.json', JSON.stringify(metrics));
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    writeFileSync(temp, data);
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** `writeFileAtomic` of indented JSON with a trailing newline. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}
