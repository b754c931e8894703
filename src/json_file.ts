/**
 * Every JSON file percept reads goes through a zod schema here, so that a file which is not what its reader expects
 * fails where it is read, with an error that names the file, the field and the fix (docs/ARCHITECTURE.md §3),
 * never as an `undefined` three modules later.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { UserError } from './errors.ts';

/** `runs/a/metrics.json: test.classification.accuracy.ci: expected array`, one line per issue. */
export function describeIssues(file: string, error: z.ZodError, prefix = ''): string {
  return error.issues
    .map(
      (issue) => `${file}: ${prefix}${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`,
    )
    .join('\n');
}

/**
 * Validates already-parsed JSON; `file` names it and `fix` says what to do in the error.
 *
 * @example
 * const stamp = parseJson(STAMP, JSON.parse(text), 'dist/stamp.json', 'rebuild it with npm run build');
 */
export function parseJson<T extends z.ZodType>(
  schema: T,
  raw: unknown,
  file: string,
  fix: string,
  prefix = '',
): z.output<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new UserError(`${describeIssues(file, parsed.error, prefix)}\nFix: ${fix}`);
  return parsed.data;
}

/** Parses JSON text; a syntax error names the file and the fix. */
export function parseJsonText(text: string, file: string, fix: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UserError(`${file}: not valid JSON (${(error as Error).message}). Fix: ${fix}`);
  }
}

/**
 * Reads, parses and validates a JSON file. Unreadable, malformed and off-schema files all become a UserError that
 * names the file (and the field) and ends with `Fix: <fix>`.
 *
 * @example
 * const manifest = readJsonFile('package.json', z.looseObject({ name: z.string() }), 'run npm init');
 */
export function readJsonFile<T extends z.ZodType>(file: string, schema: T, fix: string): z.output<T> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(
      `${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Fix: ${fix}`,
    );
  }
  return parseJson(schema, parseJsonText(text, file, fix), file, fix);
}

/**
 * The validated content of a JSON file that percept wrote for itself (a marker, a cache key), or undefined when it
 * is unreadable, malformed or off-schema: its reader then redoes the work the file would have let it skip.
 *
 * @example
 * const marker = readJsonOrUndefined('faces/synth.json', MARKER); // undefined: synthesize again
 */
export function readJsonOrUndefined<T extends z.ZodType>(file: string, schema: T): z.output<T> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return parseJsonOrUndefined(text, schema);
}

/** JSON text validated against `schema`, or undefined when it is malformed or off-schema (see readJsonOrUndefined). */
export function parseJsonOrUndefined<T extends z.ZodType>(text: string, schema: T): z.output<T> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}
