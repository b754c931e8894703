/**
 * `percept` command dispatch. Commands load lazily so that `setup` and `--help` never touch TensorFlow.
 * Exit status (docs/ARCHITECTURE.md §3): 0 success, 1 user error, 2 internal error.
 */
import { UserError, errorMessage } from '../errors.ts';
import { parseChoice, DEVICE_REQUESTS } from '../device.ts';

/** A command module exports `run`, which returns the exit status. */
export interface CommandModule {
  run(args: string[]): Promise<number>;
}

interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<CommandModule>;
}

const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'demo',
    summary:
      'the embedded default end to end: synthetic faces, every architecture, Fashion-MNIST, time series, PDF report',
    load: () => import('./demo.ts'),
  },
  {
    name: 'doctor',
    summary: 'backend, TensorFlow version, threads, Chromium, Jupyter kernel',
    load: () => import('./doctor.ts'),
  },
  {
    name: 'bench',
    summary: 'benchmarks: percept against peers measured in the same run, as ratios',
    load: () => import('./bench.ts'),
  },
  {
    name: 'setup',
    summary: 'install the native backend offline (tensorflow-cpu wheel) and the Python tools',
    load: () => import('./setup.ts'),
  },
  {
    name: 'metrics',
    summary: 'score a predictions .jsonl file: every metric with its 95% bootstrap CI',
    load: () => import('./metrics.ts'),
  },
  {
    name: 'train',
    summary: 'train and evaluate one experiment config into a run directory',
    load: () => import('./train.ts'),
  },
  {
    name: 'lr-find',
    summary: 'learning-rate range test on a config (fastai lr_find): loss against rate, suggested rate, plot',
    load: () => import('./lr_find.ts'),
  },
  {
    name: 'predict',
    summary: 'a trained run on new images: top classes, valence/arousal, a labelled grid; streams any number',
    load: () => import('./predict.ts'),
  },
  {
    name: 'tensorboard',
    summary: "TensorBoard (from .venv) over runs' event files: per-epoch figures, learning rate, weight histograms",
    load: () => import('./tensorboard.ts'),
  },
  {
    name: 'report',
    summary: 'render an assignment-style PDF/HTML report over run directories',
    load: () => import('./report.ts'),
  },
  {
    name: 'notebooks',
    summary: 'rerun notebooks headless on the tslab kernel; stops at the first failing cell',
    load: () => import('./notebooks.ts'),
  },
  {
    name: 'kernel',
    summary: 'register the tslab kernel and build the notebook bundle (--build: the bundle only)',
    load: () => import('./kernel.ts'),
  },
  {
    name: 'data',
    summary: 'inspect a dataset (counts, classes, problems) or write the synthetic AffectNet-style set',
    load: () => import('./data.ts'),
  },
  {
    name: 'models',
    summary: 'every architecture with its parameter counts (Keras include_top), or one with --summary',
    load: () => import('./models.ts'),
  },
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  const lines = COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return [
    'Usage: percept <command> [options]   (percept <command> --help for its options)',
    '',
    'Commands:',
    ...lines,
  ].join('\n');
}

/** The commands that take `--device cpu|gpu|auto`. */
const DEVICE_COMMANDS = new Set(['train', 'bench', 'demo']);

/**
 * `--device X` as PERCEPT_DEVICE, set before the command's module loads TensorFlow (src/tf.ts chooses the backend
 * once, when it is first imported). The command's own parser accepts the option and ignores it.
 */
function applyDeviceOption(args: readonly string[]): void {
  const index = args.findIndex((arg) => arg === '--device' || arg.startsWith('--device='));
  if (index < 0) return;
  const value = args[index]!.includes('=') ? args[index]!.slice('--device='.length) : args[index + 1];
  if (value === undefined || value.startsWith('--'))
    throw new UserError(`--device needs a value: one of ${DEVICE_REQUESTS.join(', ')}`);
  process.env['PERCEPT_DEVICE'] = parseChoice('--device', value, DEVICE_REQUESTS, 'device');
}

/** Runs one command line and returns the process exit status. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 1 : 0;
  }
  const command = COMMANDS.find((entry) => entry.name === name);
  if (command === undefined) {
    process.stderr.write(
      `percept: unknown command '${name}'. Valid: ${COMMANDS.map((entry) => entry.name).join(', ')}\n`,
    );
    return 1;
  }
  try {
    if (DEVICE_COMMANDS.has(name)) applyDeviceOption(args);
    const module = await command.load();
    return await module.run(args);
  } catch (error) {
    if (error instanceof UserError) {
      process.stderr.write(`percept ${name}: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(
      `percept ${name}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : errorMessage(error)}\n`,
    );
    return 2;
  }
}
