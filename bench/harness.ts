/**
 * Runs benchmark cases and reports percept's figure, each peer's figure measured in the same run, and their ratios
 * (a bare time is never reported: machines differ, ratios within one run travel).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchCase, BenchContext } from './case.ts';
import { z } from 'zod';
import { errorMessage } from '../src/errors.ts';
import { parseJson, parseJsonText } from '../src/json_file.ts';
import { projectRoot } from '../src/paths.ts';

export interface CaseResult {
  case: string;
  unit: string;
  /** Median of percept's repeats. */
  percept: number;
  /** Peer name -> median of its repeats; null when the peer could not run (reason in `unavailable`). */
  peers: Record<string, number | null>;
  /** Peer name -> percept's median relative to the peer's, oriented so that > 1 means percept is better. */
  ratio: Record<string, number | null>;
  unavailable?: Record<string, string>;
  /** 'percept' and each peer -> its figure in each repeat, in the order measured. */
  samples: Record<string, number[]>;
}

export interface BenchOptions {
  profile: BenchContext['profile'];
  python: string | undefined;
  /** `.venv-torch`'s python; absent when torch is not installed. */
  torchPython?: string | undefined;
  keep: boolean;
  /** Measurements of each side; percept and the peers alternate within each repeat. Default 1. */
  repeats?: number;
  log(line: string): void;
}

/** percept relative to a peer, > 1 when percept is better whichever way the unit points. */
export function ratioOf(percept: number, peer: number, higherIsBetter: boolean): number {
  return higherIsBetter ? percept / peer : peer / percept;
}

/**
 * The middle figure (the mean of the two middle ones for an even count): one slow repeat, e.g. when another process
 * took the cores for a while, does not move it the way it moves a mean.
 *
 * @example
 * median([3, 1, 100]); // 3
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** `*` matches within one path segment and `**` across segments, so `train/**` selects every training case. */
export function matchesGlob(name: string, glob: string): boolean {
  const pattern = glob
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${pattern}$`).test(name);
}

/**
 * Measures a case `repeats` times, percept then each peer in every repeat, so that a change in the machine's load
 * touches both sides alike, and reports each side's median. A peer that fails is unavailable from then on (its
 * reason is kept), never fatal to the case.
 *
 * @example
 * const result = await runCase(BENCH_CASES[0]!, { profile: 'quick', python, keep: false, repeats: 3, log });
 * result.ratio['keras']; // median vs median
 */
export async function runCase(benchCase: BenchCase, options: BenchOptions): Promise<CaseResult> {
  const workDir = mkdtempSync(join(tmpdir(), `percept-bench-${benchCase.name.replace(/\W+/g, '-')}-`));
  const context: BenchContext = {
    workDir,
    python: options.python,
    torchPython: options.torchPython,
    profile: options.profile,
    log: (line) => options.log(line),
  };
  const repeats = options.repeats ?? 1;
  const peerNames = Object.keys(benchCase.peers);
  const samples: Record<string, number[]> = Object.fromEntries(['percept', ...peerNames].map((side) => [side, []]));
  const unavailable: Record<string, string> = {};
  try {
    for (let repeat = 0; repeat < repeats; repeat++) {
      const of = repeats > 1 ? ` (repeat ${repeat + 1} of ${repeats})` : '';
      options.log(`${benchCase.name}: percept${of}`);
      samples['percept']!.push(await benchCase.percept(context));
      for (const peer of peerNames) {
        if (peer in unavailable) continue;
        options.log(`${benchCase.name}: ${peer}${of}`);
        try {
          samples[peer]!.push(await benchCase.peers[peer]!(context));
        } catch (error) {
          unavailable[peer] = errorMessage(error);
          options.log(`${benchCase.name}: ${peer} unavailable: ${errorMessage(error)}`);
        }
      }
    }
    const percept = median(samples['percept']!);
    const peers: Record<string, number | null> = {};
    const ratio: Record<string, number | null> = {};
    for (const peer of peerNames) {
      const figure = peer in unavailable ? null : median(samples[peer]!);
      peers[peer] = figure;
      ratio[peer] = figure === null ? null : ratioOf(percept, figure, benchCase.higherIsBetter);
    }
    return {
      case: benchCase.name,
      unit: benchCase.unit,
      percept,
      peers,
      ratio,
      ...(Object.keys(unavailable).length > 0 ? { unavailable } : {}),
      samples,
    };
  } finally {
    if (!options.keep) rmSync(workDir, { recursive: true, force: true });
  }
}

function format(value: number | null): string {
  if (value === null) return 'n/a';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toPrecision(3);
}

/** A median with the range of its repeats when there were several: `30.0 (28.1..31.2)`. */
function formatSamples(value: number | null, samples: readonly number[] | undefined): string {
  if (value === null || samples === undefined || samples.length < 2) return format(value);
  return `${format(value)} (${format(Math.min(...samples))}..${format(Math.max(...samples))})`;
}

/** Plain-text table: one row per case and peer, each figure the median of its repeats with their range. */
export function formatResults(results: readonly CaseResult[]): string {
  const rows = [['case', 'unit', 'percept', 'peer', 'peer figure', 'ratio (>1: percept better)']];
  for (const result of results) {
    for (const [peer, figure] of Object.entries(result.peers)) {
      const ratio = result.ratio[peer];
      rows.push([
        result.case,
        result.unit,
        formatSamples(result.percept, result.samples['percept']),
        peer,
        formatSamples(figure, result.samples[peer]),
        ratio == null ? 'n/a' : `${ratio.toFixed(2)}x`,
      ]);
    }
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * The pure-JS percept peer: the same case measured by percept itself in a child process with PERCEPT_BACKEND=js
 * (the backend is chosen once per process), so the ratio shows what the native backend buys.
 */
export function perceptOnPureJs(caseName: string): (context: BenchContext) => Promise<number> {
  return async (context) => {
    const bin = join(projectRoot(), 'src', 'cli', 'bin.mjs');
    // One measurement per call: the harness repeats the peer itself, alternating it with percept's own figure.
    const args = [
      bin,
      'bench',
      '--only',
      caseName,
      '--percept-only',
      '--json',
      '--profile',
      context.profile,
      '--repeats',
      '1',
    ];
    const result = spawnSync(process.execPath, args, {
      encoding: 'utf8',
      env: { ...process.env, PERCEPT_BACKEND: 'js', PERCEPT_QUIET_BACKEND: '1' },
      maxBuffer: 16 * 1024 * 1024,
    });
    if (result.status !== 0)
      throw new Error(`pure-JS run failed: ${result.stderr.trim().split('\n').slice(-2).join(' ')}`);
    return measuredValue('the pure-JS run', result.stdout, PERCEPT_ONLY_RESULT).cases[0].percept;
  };
}

/**
 * Runs one measurement in its own process, which prints one JSON object with `value` as the last line of its stdout;
 * a failure is an error carrying the end of its stderr.
 *
 * @example
 * runMeasurementProcess('keras_train.py', python, [script, '--arch', 'resnet50'], {}); // 41.2
 */
export function runMeasurementProcess(
  name: string,
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string },
): number {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, ...options });
  if (result.status !== 0)
    throw new Error(
      `${name} failed: ${(result.stderr ?? String(result.error)).trim().split('\n').slice(-3).join(' ')}`,
    );
  return measuredValue(name, result.stdout, MEASUREMENT).value;
}

/** What a measurement process prints last: its figure. */
const MEASUREMENT = z.looseObject({ value: z.number() });
/** What `percept bench --percept-only --json` prints: one case measured. */
const PERCEPT_ONLY_RESULT = z.looseObject({ cases: z.tuple([z.looseObject({ percept: z.number() })]) });

/**
 * The last line of a measurement's stdout, as JSON validated against `schema`: a peer that prints something else
 * (a crash after its figure, a changed format) fails here, naming the process, not as an undefined ratio.
 */
export function measuredValue<T extends z.ZodType>(name: string, stdout: string, schema: T): z.output<T> {
  const lastLine = stdout.trim().split('\n').pop() ?? '';
  const fix = `run ${name} by hand: its last line of stdout must be one JSON object`;
  return parseJson(schema, parseJsonText(lastLine, `${name}'s output`, fix), `${name}'s output`, fix);
}

/** The Python peers' families: each runs with its own venv's python, installed by its setup group. */
export type PythonPeer = 'keras' | 'torch';

/** The python a peer family runs with, or an error that says how to install it. */
export function peerPython(context: BenchContext, peer: PythonPeer): string {
  const python = peer === 'torch' ? context.torchPython : context.python;
  if (python !== undefined) return python;
  throw new Error(
    peer === 'torch'
      ? 'torch is not installed (.venv-torch, several GB). Fix: npx percept setup --python torch'
      : 'Python peers unavailable (npx percept setup --python keras)',
  );
}

/**
 * Runs a Python peer script under bench/peers with its family's python (`.venv` for keras, `.venv-torch` for torch);
 * the script prints one JSON object with `value` on its last line.
 *
 * @example
 * runPythonPeer(context, 'torch_train.py', ['--arch', 'resnet50', ...], 'torch'); // images/s
 */
export function runPythonPeer(
  context: BenchContext,
  script: string,
  args: string[],
  peer: PythonPeer = 'keras',
): number {
  return runMeasurementProcess(
    script,
    peerPython(context, peer),
    [join(projectRoot(), 'bench', 'peers', script), ...args],
    {},
  );
}
