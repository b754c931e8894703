/**
 * `percept tensorboard RUN... [--port N] [--host H]`: TensorBoard (from `.venv`, set up on first use) over the
 * runs' `tensorboard/` folders, each run under its own name, until Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { ensurePythonEnv } from '../setup/python_env.ts';
import { TENSORBOARD_DIR } from '../runs/run_files.ts';
import { parseCommandArgs, positiveIntFlag } from './args.ts';

const USAGE =
  'percept tensorboard RUN... [--port N (default 6006; 0 picks a free one)] [--host H (default localhost)]\n' +
  '  RUN   run folders written by percept train; each shows under its folder name';

/**
 * TensorBoard's `--logdir_spec`: `name:folder` pairs, one per run. Names must be unique and free of ':' and ',' (the
 * spec's separators), so a clash or one of those characters is a user error naming the run.
 *
 * @example
 * logdirSpec(['runs/a', 'runs/b']); // 'a:/abs/runs/a/tensorboard,b:/abs/runs/b/tensorboard'
 */
export function logdirSpec(runs: readonly string[]): string {
  const names = new Map<string, string>();
  for (const run of runs) {
    const logs = join(run, TENSORBOARD_DIR);
    if (!existsSync(logs))
      throw new UserError(
        `${logs}: missing, so ${run} has no TensorBoard logs. Fix: give a run folder trained by this percept on the native backend (percept doctor), or train it again`,
      );
    const name = basename(resolve(run));
    if (/[:,]/.test(name) || /[:,]/.test(resolve(logs)))
      throw new UserError(
        `${run}: TensorBoard's --logdir_spec cannot hold ':' or ',' in a path. Fix: rename the folder`,
      );
    const other = names.get(name);
    if (other !== undefined)
      throw new UserError(`${run} and ${other} are both called '${name}'. Fix: give runs with different folder names`);
    names.set(name, resolve(logs));
  }
  return [...names].map(([name, logs]) => `${name}:${logs}`).join(',');
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'tensorboard',
    args,
    { port: { type: 'string' }, host: { type: 'string' } },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`Usage: ${USAGE}\n`);
    return 0;
  }
  if (positionals.length === 0) throw new UserError(`tensorboard: give at least one run folder.\nUsage: ${USAGE}`);
  const spec = logdirSpec(positionals);
  const port = values.port === '0' ? 0 : (positiveIntFlag('port', values.port, USAGE) ?? 6006);
  const python = ensurePythonEnv(['keras'], (line) => process.stderr.write(`percept setup: ${line}\n`));
  const child = spawn(
    python,
    ['-m', 'tensorboard.main', '--logdir_spec', spec, '--port', String(port), '--host', values.host ?? 'localhost'],
    { stdio: 'inherit' },
  );
  // Ctrl-C or a kill stops TensorBoard (a terminal's Ctrl-C reaches both, a kill of this process only this one); this
  // process waits for it to exit and passes its status on.
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      done(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 2));
    });
  });
}
