/** Every benchmark case, in the order `percept bench` runs them. */
import type { BenchCase } from '../case.ts';
import { DATA_CASES } from './data.ts';
import { EPOCH_CASES } from './epoch.ts';
import { FROZEN_BASE_CASES } from './frozen_base.ts';
import { MEMORY_CASES } from './memory.ts';
import { PREDICT_CASES } from './predict.ts';
import { REPORT_CASES } from './report.ts';
import { TRAINING_CASES } from './training.ts';

export const BENCH_CASES: readonly BenchCase[] = [
  ...TRAINING_CASES,
  ...FROZEN_BASE_CASES,
  ...EPOCH_CASES,
  ...PREDICT_CASES,
  ...MEMORY_CASES,
  ...DATA_CASES,
  ...REPORT_CASES,
];
