/**
 * `report/8-runs`: seconds to render the assignment report (PDF) over 8 run directories that already exist: reading
 * and validating the runs, markdown, tables, discussion, 30+ Vega figures to SVG, and Chromium printing. Goal < 15 s.
 * The peers are the two parts of that same render: the seconds inside Chromium and the seconds outside it, so the
 * ratios say what share each has (measured in the same run, never separately).
 */
import { join } from 'node:path';
import { writeFixtureRuns } from '../../src/report/fixture_runs.ts';
import { resolveMeta } from '../../src/report/meta.ts';
import { renderReport, type ReportResult } from '../../src/report/report.ts';
import type { BenchCase, BenchContext } from '../case.ts';

/** The last measurement, which the peers split; the harness runs `percept` before the peers. */
let last: ReportResult | undefined;

async function measure(context: BenchContext): Promise<number> {
  const dirs = await writeFixtureRuns(join(context.workDir, 'runs'), {
    items: context.profile === 'quick' ? 40 : 120,
    resamples: 200,
    seed: 1,
  });
  last = await renderReport(dirs, {
    out: join(context.workDir, 'report.pdf'),
    meta: resolveMeta(undefined, { title: 'Benchmark report' }),
  });
  context.log(
    `report/8-runs: ${last.pages} pages, ${last.figures} figures in ${last.seconds.toFixed(2)} s (Chromium ${last.timings.chromiumSeconds.toFixed(2)} s, SVG wait ${last.timings.svgSeconds.toFixed(2)} s)`,
  );
  return last.seconds;
}

function part(select: (result: ReportResult) => number): (context: BenchContext) => Promise<number> {
  return async (context) => {
    if (last === undefined) await measure(context);
    return select(last!);
  };
}

export const REPORT_CASES: readonly BenchCase[] = [
  {
    name: 'report/8-runs',
    unit: 's',
    higherIsBetter: false,
    percept: measure,
    peers: {
      'chromium-part': part((result) => result.timings.chromiumSeconds),
      'outside-chromium': part((result) => result.seconds - result.timings.chromiumSeconds),
    },
  },
];
