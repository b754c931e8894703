import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * What `writeFileAtomic`'s temp files are called (`<file>.tmp-<pid>-<ms>`): a process killed between write and
 * rename leaves one, and the run folder's cleaning (src/runs/run_folder.ts) recognises it as percept's own.
 */
export const TEMP_FILE = /\.tmp-\d+-\d+$/;

/** The temp file `file` is written under (named as TEMP_FILE matches), its folder created. */
function tempPathFor(file: string): string {
  mkdirSync(dirname(file), { recursive: true });
  return `${file}.tmp-${process.pid}-${Date.now()}`;
}

/**
 * Writes a file so that readers see the old content or the new, never half of it (temp file + rename,
 * docs/ARCHITECTURE.md §3): a killed run never leaves a truncated result.
 *
 * @example
 * writeFileAtomic('runs/a/metrics.json', JSON.stringify(metrics));
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const temp = tempPathFor(file);
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

/**
 * A file written piece by piece that appears under its name only when complete (`commit`): the pieces go to a temp
 * file (`<file>.tmp-<pid>-<ms>`, as `writeFileAtomic`'s), renamed at the end; `abort` removes it.
 *
 * @example
 * const out = new AtomicFileWriter('predictions.jsonl');
 * try { for (const line of lines) out.write(line); out.commit(); } finally { out.abort(); }
 */
export class AtomicFileWriter {
  private readonly temp: string;
  private fd: number | undefined;

  constructor(readonly file: string) {
    this.temp = tempPathFor(file);
    this.fd = openSync(this.temp, 'w');
  }

  write(text: string): void {
    if (this.fd === undefined) throw new Error(`AtomicFileWriter: ${this.file} is already closed`);
    writeSync(this.fd, text);
  }

  /** Closes the temp file and renames it to `file`. */
  commit(): void {
    if (this.fd === undefined) throw new Error(`AtomicFileWriter: ${this.file} is already closed`);
    closeSync(this.fd);
    this.fd = undefined;
    renameSync(this.temp, this.file);
  }

  /** Closes and removes the temp file unless committed; does nothing after `commit`. */
  abort(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.temp, { force: true });
  }
}
