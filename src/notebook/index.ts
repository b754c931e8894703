/**
 * What a notebook gets from `import { ... } from 'percept'`: the entry of the CommonJS bundle that tslab loads
 * (src/notebook/bundle.ts builds it into dist/). Notebooks stay thin over these functions (docs/ARCHITECTURE.md §6).
 */
import { projectRoot } from '../paths.ts';
import { staleReason } from './bundle_stamp.ts';

export {
  display,
  DisplayHandle,
  showImageGrid,
  showTable,
  showVegaLite,
  imageGridBundle,
  tableBundle,
  vegaLiteBundle,
  VEGA_LITE_MIME,
} from './display.ts';
export type { DisplayWriter, GridImage, ImageGridOptions, MimeBundle, TableCell, TableOptions } from './display.ts';
export { notebookProgress, type NotebookProgressOptions } from './progress_display.ts';
export { notebookParams, readProfile, PROFILES, type Profile } from './params.ts';
export { vegaLiteToSvg } from './vega_svg.ts';
export { showExamples, showMetrics, showPlot, showRunSummaries, showSamples } from './views.ts';
// The modules a notebook drives (each notebook is a thin script over them).
export { inspectDataset, openDataset, splitCounts, splitDataset, synthesizeFaces } from '../data/index.ts';
export { architectures, buildArchitecture, countParams } from '../models/index.ts';
export { runExperiment, type RunExperimentResult } from '../runs/experiment.ts';
export { readRun, type Run } from '../runs/run_files.ts';
export { predict, type NotebookPredictOptions, type NotebookPredictions } from './predict.ts';
export { lrFind } from './lr_find.ts';
export { renderReport } from '../report/report.ts';
export { resolveMeta } from '../report/meta.ts';
export { DEMO_PROFILES, demoData, demoExperiments } from '../demo/plan.ts';
export { ensureFaces } from '../demo/run_demo.ts';
export { projectRoot };

// Loaded as the bundle (dist/percept.cjs) in a kernel that JupyterLab started: say when src/ moved on since the
// build, because the notebook would otherwise run old code silently. (`percept notebooks` rebuilds before running.)
if (typeof __filename === 'string' && __filename.endsWith('.cjs')) {
  const reason = staleReason(projectRoot());
  if (reason !== undefined)
    process.stderr.write(
      `percept: the notebook bundle is stale (${reason}). Fix: npm run build, then restart the kernel\n`,
    );
}
