/**
 * Checks that an output can be written before any work is done. Without them a path under a regular file, a folder
 * where a file is wanted or a read-only folder failed as ENOTDIR, EEXIST, EISDIR or EACCES with a stack trace, after
 * minutes of training or with half of a report already written. And `overlap`, for outputs that must stay clear of
 * inputs.
 */
import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UserError } from '../errors.ts';

/** The nearest path at or above `path` that exists (the file system root always does). */
function nearestExisting(path: string): { path: string; isDirectory: boolean } {
  let current = resolve(path);
  for (;;) {
    try {
      return { path: current, isDirectory: statSync(current).isDirectory() };
    } catch (error) {
      // ENOTDIR: a parent is a regular file; the loop reaches it and reports it by name.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
    }
    const parent = dirname(current);
    if (parent === current)
      throw new UserError(`${path}: no part of this path exists. Fix: give a path on a mounted disk`);
    current = parent;
  }
}

/**
 * Throws a UserError unless `folder` is a folder percept can write into (created when missing); `label` names the
 * output in the user's words.
 *
 * @example
 * assertWritableFolder('runs', '--out runs'); // '--out runs: /home/me/runs is a file, not a folder. Fix: ...'
 */
export function assertWritableFolder(folder: string, label: string): void {
  const found = nearestExisting(folder);
  if (!found.isDirectory) {
    const what =
      found.path === resolve(folder)
        ? `${found.path} is a file, not a folder`
        : `it cannot be created: ${found.path} is a file, not a folder`;
    throw new UserError(`${label}: ${what}. Fix: choose another path, or move ${found.path} away`);
  }
  try {
    accessSync(found.path, constants.W_OK);
  } catch {
    throw new UserError(
      `${label}: ${found.path} is not writable. Fix: choose a folder you can write to, or change its permissions`,
    );
  }
}

/**
 * Throws a UserError unless `file` can be written: not a folder, its folder exists or can be created, and is writable.
 *
 * @example
 * assertWritableFile('reports/a.pdf', '-o reports/a.pdf');
 */
export function assertWritableFile(file: string, label: string): void {
  const target = resolve(file);
  const found = nearestExisting(target);
  if (found.path === target && found.isDirectory) {
    throw new UserError(
      `${label}: ${target} is a folder, not a file. Fix: choose another file name, or move the folder away`,
    );
  }
  assertWritableFolder(dirname(target), label);
}

/** `path` with symbolic links resolved as far as it exists, so that two spellings of one folder compare equal. */
function canonical(path: string): string {
  const absolute = resolve(path);
  let existing = absolute;
  while (!existsSync(existing)) existing = dirname(existing);
  return join(realpathSync(existing), relative(existing, absolute));
}

/** True when `inner` is `outer` or lies inside it. */
function within(inner: string, outer: string): boolean {
  const path = relative(outer, inner);
  return path === '' || (path !== '..' && !path.startsWith(`..${sep}`) && !isAbsolute(path));
}

/**
 * How `a` and `b` overlap on disk (symbolic links followed): `a` 'is' `b`, 'is inside' it or 'contains' it; undefined
 * when they are apart.
 *
 * @example
 * overlap('out/faces', 'out/faces/images'); // 'contains'
 */
export function overlap(a: string, b: string): 'is' | 'is inside' | 'contains' | undefined {
  const [first, second] = [canonical(a), canonical(b)];
  if (first === second) return 'is';
  if (within(first, second)) return 'is inside';
  return within(second, first) ? 'contains' : undefined;
}
