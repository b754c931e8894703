/**
 * `percept notebooks [PATH...] [--profile quick|full] [--set NAME=VALUE]... [--only GLOB] [--timeout S] [--out DIR] [--json]`
 * `percept notebooks --generate` (`npm run notebooks:generate`): rewrites the architecture notebooks 01-07 from their
 * one template (src/notebook/architecture_notebooks.ts).
 *
 * Reruns notebooks headless on the tslab kernel (src/notebook/runner.ts), after rebuilding the notebook bundle when
 * src/ changed. Stops at the first failing cell: exit 1 with the notebook, the cell index, its first line and the
 * error; the executed copy keeps the outputs up to the failure.
 */
import { join, relative, resolve } from 'node:path';
import { parseCommandArgs, printJson } from './args.ts';
import { UserError } from '../errors.ts';
import { writeArchitectureNotebooks } from '../notebook/architecture_notebooks.ts';
import { ensureBundle } from '../notebook/bundle.ts';
import { PROFILES, type Profile } from '../notebook/params.ts';
import {
  checkRunnerPrerequisites,
  failureReport,
  findNotebooks,
  runNotebook,
  type NotebookResult,
} from '../notebook/runner.ts';
import { projectRoot } from '../paths.ts';

const USAGE =
  'percept notebooks [PATH...] [--profile quick|full] [--set NAME=VALUE]... [--only GLOB] [--timeout S] [--out DIR] [--json] | --generate';
/** Seconds a cell may run by default: a quick profile trains for seconds, a full one for up to an hour per cell. */
const DEFAULT_TIMEOUT: Record<Profile, number> = { quick: 600, full: 3600 };

function parseProfile(value: string | undefined): Profile {
  if (value === undefined) return 'full';
  if (!(PROFILES as readonly string[]).includes(value))
    throw new UserError(`--profile ${value}: valid profiles are ${PROFILES.join(', ')}`);
  return value as Profile;
}

function parseSets(values: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const item of values) {
    const equals = item.indexOf('=');
    if (equals <= 0) throw new UserError(`--set ${item}: expected NAME=VALUE, e.g. --set epochs=3`);
    params[item.slice(0, equals)] = item.slice(equals + 1);
  }
  return params;
}

function parseTimeout(value: string | undefined, profile: Profile): number {
  if (value === undefined) return DEFAULT_TIMEOUT[profile];
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new UserError(`--timeout ${value}: expected seconds per cell, a positive number`);
  return seconds;
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'notebooks',
    args,
    {
      profile: { type: 'string' },
      set: { type: 'string', multiple: true },
      only: { type: 'string' },
      timeout: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      generate: { type: 'boolean' },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`Usage: ${USAGE}\n`);
    return 0;
  }
  const root = projectRoot();
  if (values.generate) {
    for (const file of writeArchitectureNotebooks(join(root, 'notebooks')))
      process.stdout.write(`wrote ${relative(root, file)}\n`);
    return 0;
  }
  const profile = parseProfile(values.profile);
  const options = {
    root,
    profile,
    params: parseSets(values.set ?? []),
    timeout: parseTimeout(values.timeout, profile),
    outDir: resolve(values.out ?? 'reports/notebooks'),
  };
  const notebooks = findNotebooks(positionals.length > 0 ? positionals : [resolve(root, 'notebooks')], values.only);
  checkRunnerPrerequisites(root);
  const log = (line: string): void => void (values.json ? process.stderr : process.stdout).write(`${line}\n`);
  const bundle = await ensureBundle(root);
  if (bundle.rebuilt) log(`notebook bundle rebuilt (${bundle.reason}) in ${bundle.seconds.toFixed(1)} s`);
  const results: NotebookResult[] = [];
  for (const notebook of notebooks) {
    const result = await runNotebook(notebook, options);
    results.push(result);
    if (result.ok) {
      log(`ok    ${result.path}  ${result.seconds.toFixed(1)} s  -> ${result.executed}`);
      continue;
    }
    process.stderr.write(
      `FAIL  ${failureReport(result)}\n      executed copy with the outputs up to the failure: ${result.executed}\n`,
    );
    break;
  }
  if (values.json) printJson(results);
  return results.every((result) => result.ok) ? 0 : 1;
}
