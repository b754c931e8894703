/**
 * One writer per run folder. Two `percept train` of one config into one folder used to clean and train over each
 * other (one died on a temp file the other had deleted; later both printed 'finished' over mixed files). The lock is a
 * file created atomically with its holder in it (a hard link, which fails when the name exists), so exactly one
 * process gets it; it is released on return, on error and on exit, and a lock
 * whose process is gone (killed with SIGKILL, or the machine rebooted) is taken over with a line saying so.
 */
import { randomUUID } from 'node:crypto';
import { linkSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { parseJsonOrUndefined } from '../json_file.ts';

/** The lock file inside a run folder. */
export const LOCK_FILE = '.percept-lock.json';

/** What a lock file holds: who writes the folder. */
const LOCK_HOLDER = z.looseObject({
  pid: z.number().int().positive(),
  host: z.string(),
  startedAt: z.string(),
  /** Tells this process's lock from a later one of the same PID. */
  token: z.string(),
});
type LockHolder = z.infer<typeof LOCK_HOLDER>;

/** A held lock. */
export interface RunLock {
  /** Removes the lock file if it is still this process's; safe to call more than once. */
  release(): void;
}

/**
 * A lock file younger than this that cannot be parsed counts as held (an older percept created it empty a moment before
 * writing it); an older one is debris and counts as stale.
 */
const FRESH_MS = 10_000;

/** A lock file as found: its text, and its holder when the text parses. */
type Read = { state: 'gone' } | { state: 'held' | 'stale'; text: string; holder: LockHolder | undefined };

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): Read {
  let text: string;
  let age: number;
  try {
    text = readFileSync(file, 'utf8');
    age = Date.now() - statSync(file).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'gone' };
    throw error;
  }
  const holder = parseJsonOrUndefined(text, LOCK_HOLDER);
  // A lock being written, or damaged: held while young, then taken over.
  if (holder === undefined) return { state: age < FRESH_MS ? 'held' : 'stale', text, holder: undefined };
  // A PID can only be checked on its own machine: another host's lock is held until its owner says otherwise.
  return { state: holder.host !== hostname() || isAlive(holder.pid) ? 'held' : 'stale', text, holder };
}

function describe(holder: LockHolder | undefined): string {
  return holder === undefined
    ? 'a percept process that is starting'
    : `PID ${holder.pid} on ${holder.host} (since ${holder.startedAt})`;
}

/**
 * Moves a stale lock aside; false when another process moved it first. Moving is atomic, so of two processes taking
 * over at once one wins; a lock that turns out to be a fresh one (taken over between reading and moving) is put back.
 */
function takeOver(file: string, staleText: string): boolean {
  const aside = `${file}.stale-${process.pid}-${randomUUID()}`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  const same = readFileSync(aside, 'utf8') === staleText;
  if (!same) {
    try {
      linkSync(aside, file);
    } catch {
      // Another process locked the folder meanwhile: its lock stands, and this one is lost to it either way.
    }
  }
  rmSync(aside, { force: true });
  return same;
}

/**
 * Creates `file` holding `text` unless it exists; false when it does. The text is written to a private file first and
 * hard-linked into place (link fails if the name exists), so no other process ever reads the lock empty: with a plain
 * O_EXCL create, a second `percept train` started at the same moment read the empty file and could not name the PID.
 */
function createWithContent(file: string, text: string): boolean {
  const draft = `${file}.new-${process.pid}-${randomUUID()}`;
  writeFileSync(draft, text, { flag: 'wx' });
  try {
    linkSync(draft, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(draft, { force: true });
  }
}

/**
 * Locks the run folder `dir` (which must exist) for this process, or throws a UserError naming the process that holds
 * it. `log` gets the line when a stale lock is taken over.
 *
 * @example
 * const lock = lockRunFolder('runs/a', console.error);
 * try { train(); } finally { lock.release(); }
 */
export function lockRunFolder(dir: string, log: (line: string) => void): RunLock {
  const file = join(dir, LOCK_FILE);
  const mine: LockHolder = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    token: randomUUID(),
  };
  // A few rounds: each lost race (the lock released or taken over by another process meanwhile) reads it again.
  for (let round = 0; round < 5; round++) {
    if (createWithContent(file, JSON.stringify(mine) + '\n')) return held(file, mine);
    const read = readLock(file);
    if (read.state === 'held') {
      const pid = read.holder?.pid;
      throw new UserError(
        `${dir}: another percept is writing this run: ${describe(read.holder)}. Two writers would mix their files. ` +
          `Fix: wait for it to finish${pid === undefined ? '' : ` or stop it (kill ${pid})`}, or train into another --out; if no such process runs any more, delete ${file}`,
      );
    }
    if (read.state === 'stale' && takeOver(file, read.text))
      log(`${dir}: took over the lock of ${describe(read.holder)}, which no longer runs`);
  }
  throw new UserError(
    `${dir}: other percept processes keep taking and releasing its lock. Fix: run one 'percept train' per run folder at a time`,
  );
}

function held(file: string, mine: LockHolder): RunLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    const read = readLock(file);
    if (read.state !== 'gone' && read.holder?.token === mine.token) rmSync(file, { force: true });
  };
  // 'exit' also runs on process.exit() from a signal handler (percept train's SIGINT), where no finally block runs.
  process.on('exit', release);
  return { release };
}
