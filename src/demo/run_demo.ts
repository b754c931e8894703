/**
 * Runs the embedded default end to end: synthetic data, every experiment of the plan (reusing finished runs),
 * then the report. The CLI (`percept demo`) and the tests call this.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { readJsonOrUndefined } from '../json_file.ts';
import { SYNTH_GENERATOR_VERSION, synthesizeFaces } from '../data/index.ts';
import { resolveMeta } from '../report/meta.ts';
import { renderReport, type ReportResult } from '../report/report.ts';
import { runExperiment, type RunExperimentResult } from '../runs/experiment.ts';
import { formatDuration, terminalProgress } from '../train/progress.ts';
import { DEMO_PROFILES, demoData, demoExperiments, type DemoSection } from './plan.ts';

export interface DemoOptions {
  profile: keyof typeof DEMO_PROFILES;
  /** Folder of the demo's data and runs. */
  out: string;
  /** Retrain every run. */
  force: boolean;
  log(line: string): void;
  /** Where per-epoch progress goes (a TTY gets a live bar). */
  progress: NodeJS.WritableStream & { isTTY?: boolean };
  /** The PDF to write; the HTML goes next to it. */
  report: string;
}

export interface DemoRun {
  section: DemoSection;
  name: string;
  dir: string;
  reused: boolean;
  seconds: number;
}

export interface DemoResult {
  runs: DemoRun[];
  report: ReportResult;
  seconds: number;
}

/** What synthesizeFaces writes to synth.json that tells one face set from another. */
const FACES_MARKER = z.looseObject({ generator: z.number(), count: z.number(), size: z.number(), seed: z.number() });

/** Synthesizes a face set unless the folder already holds one made by this generator with the same count, size and seed. */
export async function ensureFaces(
  out: string,
  n: number,
  size: number,
  seed: number,
  log: (line: string) => void,
): Promise<void> {
  const marker = join(out, 'synth.json');
  // A marker from another generator, count, size or seed, or a damaged one, means the faces are made again.
  const made = existsSync(marker) ? readJsonOrUndefined(marker, FACES_MARKER) : undefined;
  if (made?.generator === SYNTH_GENERATOR_VERSION && made.count === n && made.size === size && made.seed === seed)
    return;
  log(`synthesizing ${n} faces at ${size}px (seed ${seed}) into ${out}`);
  await synthesizeFaces({ out, n, size, seed });
}

/**
 * @example
 * const { runs } = await runDemo({ profile: 'quick', out: 'runs/demo', force: false, log: console.error, progress: process.stderr });
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const profile = DEMO_PROFILES[options.profile];
  const out = resolve(options.out);
  const data = demoData(out);
  await ensureFaces(data.faces, profile.faces.n, profile.faces.size, 1, (line) => options.log(line));
  await ensureFaces(data.transferSource, profile.transfer.sourceN, profile.faces.size, 2, (line) => options.log(line));
  await ensureFaces(data.transferTarget, profile.transfer.targetN, profile.faces.size, 3, (line) => options.log(line));
  const experiments = demoExperiments(profile, data);
  const runs: DemoRun[] = [];
  for (const [index, experiment] of experiments.entries()) {
    const name = String(experiment.config['name']);
    const elapsed = formatDuration((performance.now() - started) / 1000);
    options.log(`[${index + 1}/${experiments.length}] ${experiment.section}: ${name} (demo time so far ${elapsed})`);
    const runStarted = performance.now();
    const result: RunExperimentResult = await runExperiment(experiment.config, {
      out: join(out, 'runs'),
      force: options.force,
      callbacks: [terminalProgress(options.progress)],
      log: (line) => options.log(`  ${line}`),
    });
    runs.push({
      section: experiment.section,
      name,
      dir: result.dir,
      reused: result.reused,
      seconds: (performance.now() - runStarted) / 1000,
    });
  }
  options.log(`report: ${options.report}`);
  const meta = resolveMeta(undefined, {
    title: 'percept demo: perception models on synthetic faces, Fashion-MNIST and time series',
    author: 'percept demo',
  });
  const report = await renderReport(
    runs.map((run) => run.dir),
    { out: options.report, html: true, meta },
  );
  return { runs, report, seconds: (performance.now() - started) / 1000 };
}
