/**
 * `percept demo [--profile demo|quick] [--out DIR] [--report FILE.pdf] [--force] [--json]` (`npm run demo`):
 * the embedded default end to end, then where the report is and a short results table.
 */
import { parseCommandArgs, printJson } from './args.ts';
import { UserError } from '../errors.ts';
import type { Estimate } from '../metrics/bootstrap.ts';
import { readRunFile } from '../runs/run_files.ts';
import { DEMO_PROFILES } from '../demo/plan.ts';
import { runDemo, type DemoRun } from '../demo/run_demo.ts';
import { formatDuration } from '../train/progress.ts';

const USAGE =
  'percept demo [--profile demo|quick] [--out runs/demo] [--report reports/demo.pdf] [--force] [--json] [--device auto|cpu|gpu]';

/** The headline figure of a run's test split: accuracy, valence CCC or forecast MSE against the naive one. */
function headline(run: DemoRun): string {
  const metrics = readRunFile(run.dir, 'metrics', 'rerun the demo with --force');
  const test = metrics['test'] ?? metrics['val'] ?? {};
  // A metric undefined on this split is NaN (null in the file).
  const format = (estimate: Estimate | undefined, digits = 3): string =>
    estimate === undefined || Number.isNaN(estimate.value) ? 'not measured' : estimate.value.toFixed(digits);
  const parts: string[] = [];
  if (test.classification !== undefined) parts.push(`accuracy ${format(test.classification.accuracy)}`);
  if (test.valence !== undefined) parts.push(`valence CCC ${format(test.valence.ccc)}`);
  if (test.series !== undefined) parts.push(`MSE ${format(test.series.mse)} (naive ${format(test.series.naive_mse)})`);
  return parts.join(', ');
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'demo',
    args,
    {
      profile: { type: 'string', default: 'demo' },
      out: { type: 'string', default: 'runs/demo' },
      report: { type: 'string' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      // Read before TensorFlow loads (src/cli/main.ts).
      device: { type: 'string' },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`Usage: ${USAGE}\n`);
    return 0;
  }
  const profile = values.profile;
  if (profile !== 'demo' && profile !== 'quick')
    throw new UserError(`--profile ${profile}: valid profiles are ${Object.keys(DEMO_PROFILES).join(', ')}`);
  const report = values.report ?? (profile === 'demo' ? 'reports/demo.pdf' : 'reports/demo-quick.pdf');
  const log = (line: string): void => void process.stderr.write(`percept demo: ${line}\n`);
  const result = await runDemo({
    profile,
    out: values.out,
    force: values.force ?? false,
    log,
    progress: values.json ? process.stderr : process.stdout,
    report,
  });
  if (values.json) {
    printJson({
      pdf: result.report.pdf,
      html: result.report.html,
      pages: result.report.pages,
      seconds: result.seconds,
      runs: result.runs,
    });
    return 0;
  }
  const width = Math.max(...result.runs.map((entry) => entry.name.length));
  process.stdout.write('\nResults (test split):\n');
  for (const entry of result.runs) {
    const time = entry.reused ? 'reused' : formatDuration(entry.seconds);
    process.stdout.write(`  ${entry.name.padEnd(width)}  ${headline(entry)}  [${time}]\n`);
  }
  process.stdout.write(
    `\nReport: ${result.report.pdf} (${result.report.pages} pages)\n        ${result.report.html}\nTotal: ${formatDuration(result.seconds)}\n`,
  );
  return 0;
}
