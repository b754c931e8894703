/**
 * `percept train CONFIG [--out DIR] [--profile P] [--resume] [--force] [--json]`: trains and evaluates one experiment
 * into `<DIR>/<name>/` (docs/ARCHITECTURE.md §3), a thin wrapper over `runExperiment` (src/runs/experiment.ts). Ctrl-C (SIGINT) or
 * SIGTERM stops it at once, says which checkpoint was kept and prints the command that resumes it.
 */
import { parseCommandArgs, printJson } from './args.ts';
import { UserError } from '../errors.ts';
import { keptCheckpoint, runExperiment, type RunExperimentResult } from '../runs/experiment.ts';
import { terminalProgress } from '../train/progress.ts';

const USAGE =
  'percept train CONFIG [--out DIR] [--profile quick] [--resume] [--force] [--json] [--device auto|cpu|gpu]';

/** `test accuracy 0.812 [0.75, 0.86]`-style lines of the headline metrics. */
function headline(result: RunExperimentResult): string[] {
  const { summary } = result;
  const lines = [
    `${result.reused ? 'reused' : 'finished'} ${result.dir}`,
    `  ${summary.arch} ${summary.input.join('x')}, ${summary.params.total} params (${summary.params.trainable} trainable), ${summary.epochs.run}/${summary.epochs.planned} epochs${summary.stopReason === undefined ? '' : ` (${summary.stopReason})`}`,
  ];
  if (result.skipped.length > 0)
    lines.push(
      `  skipped ${result.skipped.length} item(s), e.g. ${result.skipped[0]!.file}: ${result.skipped[0]!.reason} (all in problems.json)`,
    );
  return lines;
}

/** Exit status of a process stopped by a signal, as shells report it (128 + the signal's number). */
const SIGNAL_EXIT: Readonly<Record<'SIGINT' | 'SIGTERM', number>> = { SIGINT: 130, SIGTERM: 143 };

/** An argument as a POSIX shell reads it back: bare when it is safe, else single-quoted. */
function shellWord(arg: string): string {
  return /^[\w./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** What a signal leaves behind: the checkpoint kept in `dir` (undefined before the run folder was opened) and the command to go on. */
function interruption(signal: string, dir: string | undefined, command: (resume: boolean) => string): string {
  const kept = dir === undefined ? undefined : keptCheckpoint(dir);
  if (kept === undefined) {
    const where = dir === undefined ? 'before the run folder was opened' : `before the first epoch of ${dir} ended`;
    return `interrupted (${signal}) ${where}: no checkpoint to resume. Start again with: ${command(false)}\n`;
  }
  return `interrupted (${signal}): ${dir} keeps the checkpoint of epoch ${kept.epoch} (${kept.path}).\nResume with: ${command(true)}\n`;
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'train',
    args,
    {
      out: { type: 'string' },
      profile: { type: 'string' },
      resume: { type: 'boolean' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      device: { type: 'string' },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`Usage: ${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1)
    throw new UserError(`train: expected one config file, got ${positionals.length}\nUsage: ${USAGE}`);
  const configFile = positionals[0]!;
  // With --json, stdout carries only the result: progress and status go to stderr.
  const stream = values.json === true ? process.stderr : process.stdout;
  const command = (resume: boolean): string =>
    [
      'percept',
      'train',
      configFile,
      '--out',
      values.out ?? 'runs',
      ...(values.profile === undefined ? [] : ['--profile', values.profile]),
      ...(values.device === undefined ? [] : ['--device', values.device]),
      ...(resume ? ['--resume'] : []),
    ]
      .map(shellWord)
      .join(' ');
  let runFolder: string | undefined;
  // The checkpoint of every finished epoch is already on disk (written atomically), so stopping at once loses only
  // the epoch in progress; process.exit runs the 'exit' hook that releases the run folder's lock.
  const stop = (signal: 'SIGINT' | 'SIGTERM'): void => {
    process.stderr.write(interruption(signal, runFolder, command));
    process.exit(SIGNAL_EXIT[signal]);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let result: RunExperimentResult;
  try {
    result = await runExperiment(configFile, {
      ...(values.out === undefined ? {} : { out: values.out }),
      ...(values.profile === undefined ? {} : { profile: values.profile }),
      resume: values.resume === true,
      force: values.force === true,
      callbacks: [terminalProgress(stream)],
      log: (line) => process.stderr.write(`${line}\n`),
      onRunFolder: (dir) => (runFolder = dir),
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  if (values.json === true) printJson(result);
  else for (const line of headline(result)) process.stdout.write(`${line}\n`);
  return 0;
}
