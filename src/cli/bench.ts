/**
 * `percept bench [--only GLOB] [--peer NAME]... [--profile quick|full] [--repeats N] [--json] [--keep]`: every case of
 * bench/cases, percept against its peers (keras, torch, percept-js) measured in the same run, each side the median of
 * N repeats in which they alternate, printed as ratios.
 */
import { parseCommandArgs, positiveIntFlag, printJson } from './args.ts';
import { parseDeviceRequest } from '../device.ts';
import { UserError, errorMessage } from '../errors.ts';
import { ensurePythonEnv, installedPython } from '../setup/python_env.ts';
import { formatResults, matchesGlob, runCase, type CaseResult } from '../../bench/harness.ts';
import { BENCH_CASES } from '../../bench/cases/index.ts';

const USAGE =
  'percept bench [--only GLOB] [--peer NAME]... [--profile quick|full] [--repeats N] [--json] [--keep] [--list] [--device auto|cpu|gpu]';

const HELP = `Usage: ${USAGE}

  --only GLOB      cases to run (* within a segment, ** across: 'epoch/**')
  --peer NAME      peers to measure (repeatable; default every peer of each case)
  --profile P      full (default) measures; quick shrinks every case for a functional check
  --repeats N      measurements of each side, percept and peers alternating; figures are medians
                   (default 3 with --profile full, 1 with quick)
  --json           print { repeats, cases: [{ case, unit, percept, peers, ratio, samples }] }
  --keep           keep each case's scratch folder (generated images)
  --list           list the cases and their peers
  --device D       auto (default), cpu or gpu: where percept's side computes (PERCEPT_DEVICE); with gpu the
                   Keras peer runs on the GPU build's TensorFlow in .venv-gpu (npx percept setup --python keras-gpu)
`;

/** Repeats by profile: a full run takes medians of three; a quick run only checks that every case works. */
const DEFAULT_REPEATS = { full: 3, quick: 1 } as const;

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'bench',
    args,
    {
      only: { type: 'string' },
      peer: { type: 'string', multiple: true },
      profile: { type: 'string', default: 'full' },
      repeats: { type: 'string' },
      json: { type: 'boolean' },
      keep: { type: 'boolean' },
      list: { type: 'boolean' },
      // Read before TensorFlow loads (src/cli/main.ts).
      device: { type: 'string' },
      // Internal: measure percept's figure only (how the pure-JS peer runs a case in a child process).
      'percept-only': { type: 'boolean' },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const profile = values.profile;
  if (profile !== 'quick' && profile !== 'full')
    throw new UserError(`--profile ${profile}: valid profiles are quick, full`);
  const repeats = positiveIntFlag('repeats', values.repeats, USAGE) ?? DEFAULT_REPEATS[profile];
  const selected = BENCH_CASES.filter(
    (benchCase) => values.only === undefined || matchesGlob(benchCase.name, values.only),
  );
  if (values.list) {
    process.stdout.write(
      BENCH_CASES.map(
        (benchCase) => `${benchCase.name}  (${benchCase.unit}; peers: ${Object.keys(benchCase.peers).join(', ')})`,
      ).join('\n') + '\n',
    );
    return 0;
  }
  if (selected.length === 0)
    throw new UserError(`--only ${values.only} matches no case. Cases: ${BENCH_CASES.map((c) => c.name).join(', ')}`);
  const log = (line: string): void => void process.stderr.write(`percept bench: ${line}\n`);
  const perceptOnly = values['percept-only'] ?? false;
  // Never installed here (several GB): the torch peers run once `percept setup --python torch` has installed torch,
  // and say that fix as their unavailable reason until then.
  const torchPython = perceptOnly ? undefined : installedPython('torch');
  let python: string | undefined;
  if (!perceptOnly) {
    try {
      // On the GPU, Keras runs on the GPU build's TensorFlow wheel with its CUDA libraries (.venv-gpu).
      const onGpu = parseDeviceRequest(process.env['PERCEPT_DEVICE']) === 'gpu';
      python = ensurePythonEnv([onGpu ? 'keras-gpu' : 'keras'], log);
    } catch (error) {
      log(`Python peers unavailable: ${errorMessage(error)}`);
    }
  }
  const results: CaseResult[] = [];
  for (const benchCase of selected) {
    // --percept-only: the pure-JS peer's child process; --peer: measure only the named peers.
    const peers = Object.fromEntries(
      Object.entries(benchCase.peers).filter(
        ([peer]) => !perceptOnly && (values.peer === undefined || values.peer.includes(peer)),
      ),
    );
    const measured = { ...benchCase, peers };
    results.push(await runCase(measured, { profile, python, torchPython, keep: values.keep ?? false, repeats, log }));
  }
  if (values.json) printJson({ repeats, cases: results });
  else process.stdout.write(formatResults(results) + '\n');
  return 0;
}
