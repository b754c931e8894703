/**
 * Runs benchmark cases and reports percept's figure, each peer's figure measured in the same run, and their ratios
 * (a bare time is never reported: machines differ, ratios within one run travel).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchCase, BenchContext } from './case.ts';
import { errorMessage } from '../src/errors.ts';
import { projectRoot } from '../src/setup/paths.ts';

export interface CaseResult {
  case: string;
  unit: string;
  percept: number;
  /** Peer name -> figure; null when the peer could not run (reason in `unavailable`). */
  peers: Record<string, number | null>;
  /** Peer name -> percept relative to the peer, oriented so that > 1 means percept is better. */
  ratio: Record<string, number | null>;
  unavailable?: Record<string, string>;
}

export interface BenchOptions {
  profile: BenchContext['profile'];
  python: string | undefined;
  /** `.venv-torch`'s python; absent when torch is not installed. */
  torchPython?: string | undefined;
  keep: boolean;
  log(line: string): void;
}

/** percept relative to a peer, > 1 when percept is better whichever way the unit points. */
export function ratioOf(percept: number, peer: number, higherIsBetter: boolean): number {
  return higherIsBetter ? percept / peer : peer / percept;
}

/** `*` matches within one path segment and `**` across segments, so `train/**` selects every training case. */
export function matchesGlob(name: string, glob: string): boolean {
  const pattern = glob
    .split('**')
    .map((part) => part.split('*').map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(name);
}

export async function runCase(benchCase: BenchCase, options: BenchOptions): Promise<CaseResult> {
  const workDir = mkdtempSync(join(tmpdir(), `percept-bench-${benchCase.name.replace(/\W+/g, '-')}-`));
  const context: BenchContext = { workDir, python: options.python, torchPython: options.torchPython, profile: options.profile, log: options.log };
  try {
    options.log(`${benchCase.name}: percept`);
    const percept = await benchCase.percept(context);
    const peers: Record<string, number | null> = {};
    const ratio: Record<string, number | null> = {};
    const unavailable: Record<string, string> = {};
    for (const [peer, measure] of Object.entries(benchCase.peers)) {
      options.log(`${benchCase.name}: ${peer}`);
      try {
        const figure = await measure(context);
        peers[peer] = figure;
        ratio[peer] = ratioOf(percept, figure, benchCase.higherIsBetter);
      } catch (error) {
        peers[peer] = null;
        ratio[peer] = null;
        unavailable[peer] = errorMessage(error);
        options.log(`${benchCase.name}: ${peer} unavailable: ${errorMessage(error)}`);
      }
    }
    return { case: benchCase.name, unit: benchCase.unit, percept, peers, ratio, ...(Object.keys(unavailable).length > 0 ? { unavailable } : {}) };
  } finally {
    if (!options.keep) rmSync(workDir, { recursive: true, force: true });
  }
}

function format(value: number | null): string {
  if (value === null) return 'n/a';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toPrecision(3);
}

/** Plain-text table: one row per case and peer. */
export function formatResults(results: readonly CaseResult[]): string {
  const rows = [['case', 'unit', 'percept', 'peer', 'peer figure', 'ratio (>1: percept better)']];
  for (const result of results) {
    for (const [peer, figure] of Object.entries(result.peers)) {
      rows.push([result.case, result.unit, format(result.percept), peer, format(figure), result.ratio[peer] == null ? 'n/a' : `${result.ratio[peer]!.toFixed(2)}x`]);
    }
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

/**
 * The pure-JS percept peer: the same case measured by percept itself in a child process with PERCEPT_BACKEND=js
 * (the backend is chosen once per process), so the ratio shows what the native backend buys.
 */
export function perceptOnPureJs(caseName: string): (context: BenchContext) => Promise<number> {
  return async (context) => {
    const bin = join(projectRoot(), 'src', 'cli', 'bin.mjs');
    const args = [bin, 'bench', '--only', caseName, '--percept-only', '--json', '--profile', context.profile];
    const result = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, PERCEPT_BACKEND: 'js', PERCEPT_QUIET_BACKEND: '1' }, maxBuffer: 16 * 1024 * 1024 });
    if (result.status !== 0) throw new Error(`pure-JS run failed: ${result.stderr.trim().split('\n').slice(-2).join(' ')}`);
    const parsed = JSON.parse(result.stdout) as { cases: CaseResult[] };
    return parsed.cases[0]!.percept;
  };
}

/** The Python peers' families: each runs with its own venv's python, installed by its setup group. */
export type PythonPeer = 'keras' | 'torch';

function peerPython(context: BenchContext, peer: PythonPeer): string {
  const python = peer === 'torch' ? context.torchPython : context.python;
  if (python !== undefined) return python;
  throw new Error(peer === 'torch' ? 'torch is not installed (.venv-torch, several GB). Fix: npx percept setup --python torch' : 'Python peers unavailable (npx percept setup --python keras)');
}

/**
 * Runs a Python peer script under bench/peers with its family's python (`.venv` for keras, `.venv-torch` for torch);
 * the script prints one JSON object with `value` on its last line.
 *
 * @example
 * runPythonPeer(context, 'torch_train.py', ['--arch', 'resnet50', ...], 'torch'); // images/s
 */
export function runPythonPeer(context: BenchContext, script: string, args: string[], peer: PythonPeer = 'keras'): number {
  const file = join(projectRoot(), 'bench', 'peers', script);
  const result = spawnSync(peerPython(context, peer), [file, ...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${script} failed: ${result.stderr.trim().split('\n').slice(-3).join(' ')}`);
  const lastLine = result.stdout.trim().split('\n').pop() ?? '';
  return (JSON.parse(lastLine) as { value: number }).value;
}
