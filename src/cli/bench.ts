/**
 * `percept bench [--only GLOB] [--peer NAME]... [--profile quick|full] [--json] [--keep] [--list]`: every case of
 * bench/cases, percept against its peers (keras, torch, percept-js) measured in the same run, printed as ratios.
 */
import { parseCommandArgs, printJson } from './args.ts';
import { UserError, errorMessage } from '../errors.ts';
import { ensurePythonEnv, installedPython } from '../setup/python_env.ts';
import { formatResults, matchesGlob, runCase, type CaseResult } from '../../bench/harness.ts';
import { BENCH_CASES } from '../../bench/cases/index.ts';

const USAGE = 'percept bench [--only GLOB] [--peer NAME]... [--profile quick|full] [--json] [--keep] [--list]';

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandArgs('bench', args, {
    only: { type: 'string' },
    peer: { type: 'string', multiple: true },
    profile: { type: 'string', default: 'full' },
    json: { type: 'boolean' },
    keep: { type: 'boolean' },
    list: { type: 'boolean' },
    // Internal: measure percept's figure only (how the pure-JS peer runs a case in a child process).
    'percept-only': { type: 'boolean' },
  }, USAGE);
  if (values.help) {
    process.stdout.write(`Usage: ${USAGE}\n`);
    return 0;
  }
  const profile = values.profile;
  if (profile !== 'quick' && profile !== 'full') throw new UserError(`--profile ${profile}: valid profiles are quick, full`);
  const selected = BENCH_CASES.filter((benchCase) => values.only === undefined || matchesGlob(benchCase.name, values.only));
  if (values.list) {
    process.stdout.write(BENCH_CASES.map((benchCase) => `${benchCase.name}  (${benchCase.unit}; peers: ${Object.keys(benchCase.peers).join(', ')})`).join('\n') + '\n');
    return 0;
  }
  if (selected.length === 0) throw new UserError(`--only ${values.only} matches no case. Cases: ${BENCH_CASES.map((c) => c.name).join(', ')}`);
  const log = (line: string): void => void process.stderr.write(`percept bench: ${line}\n`);
  const perceptOnly = values['percept-only'] ?? false;
  // Never installed here (several GB): the torch peers run once `percept setup --python torch` has installed torch,
  // and say that fix as their unavailable reason until then.
  const torchPython = perceptOnly ? undefined : installedPython('torch');
  let python: string | undefined;
  if (!perceptOnly) {
    try {
      python = ensurePythonEnv(['keras'], log);
    } catch (error) {
      log(`Python peers unavailable: ${errorMessage(error)}`);
    }
  }
  const results: CaseResult[] = [];
  for (const benchCase of selected) {
    // --percept-only: the pure-JS peer's child process; --peer: measure only the named peers.
    const peers = Object.fromEntries(Object.entries(benchCase.peers).filter(([peer]) => !perceptOnly && (values.peer === undefined || values.peer.includes(peer))));
    const measured = { ...benchCase, peers };
    results.push(await runCase(measured, { profile, python, torchPython, keep: values.keep ?? false, log }));
  }
  if (values.json) printJson({ cases: results });
  else process.stdout.write(formatResults(results) + '\n');
  return 0;
}
