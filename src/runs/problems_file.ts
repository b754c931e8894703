/**
 * Reading back a run's problems.json (the items it skipped). A finished run is reused only when it can be read: a
 * corrupt file (an editor's stray keystroke, a disk that filled up) is a reason to retrain, not a crash.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Problem } from '../data/index.ts';
import { errorMessage } from '../errors.ts';

const PROBLEMS = z.strictObject({
  count: z.number().int().min(0),
  items: z.array(z.strictObject({ file: z.string(), reason: z.string() })),
});

/**
 * The skipped items listed in `file`, none when it is absent (runs from before it existed), or why it cannot be read.
 *
 * @example
 * const read = readProblemsFile('runs/a/problems.json');
 * if ('error' in read) log(`runs/a/problems.json: ${read.error}`);
 */
export function readProblemsFile(file: string): { items: Problem[] } | { error: string } {
  if (!existsSync(file)) return { items: [] };
  try {
    const parsed = PROBLEMS.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success)
      return {
        error: `not a problems list (${parsed.error.issues[0]!.path.join('.') || 'top level'}: ${parsed.error.issues[0]!.message})`,
      };
    return { items: parsed.data.items };
  } catch (error) {
    return { error: `unreadable (${errorMessage(error)})` };
  }
}
