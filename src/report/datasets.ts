/**
 * Runs grouped by the data they were trained and tested on: rankings, comparisons and per-dataset tables only set
 * side by side runs of the same data (a score on Fashion-MNIST does not beat one on the faces).
 */
import type { Run } from '../runs/run_files.ts';

/** One run per distinct dataset (data hash), in run order. */
export function distinctDatasets(runs: readonly Run[]): Run[] {
  return byDataset(runs).map((group) => group[0]!);
}

/** Runs grouped by the data they were trained and tested on (same manifest hash), in first-seen order. */
export function byDataset(runs: readonly Run[]): Run[][] {
  const groups = new Map<string, Run[]>();
  for (const run of runs) groups.set(run.summary.dataHash, [...(groups.get(run.summary.dataHash) ?? []), run]);
  return [...groups.values()];
}
