/**
 * The files of a run directory (docs/ARCHITECTURE.md §3) as zod schemas and TypeScript types, and `readRun` that parses them
 * once with messages naming the file and the field. The trainer writes these shapes; reports, plots and notebooks
 * read them back through `readRun` and trust the types after.
 *
 * runs/<name>/
 *   config.json        the resolved ExperimentConfig (src/runs/config.ts)
 *   summary.json       RunSummary: architecture, parameters, layers, input, losses, backend, timings, seed, hashes
 *   history.json       RunHistory: one record per epoch (loss, metrics, lr, seconds), stop reason, best epoch
 *   metrics.json       MetricsFile: split -> task -> metric {value, ci:[lo, hi]} (src/metrics/evaluate.ts)
 *   predictions.jsonl  one PredictionRecord per line (id, split, true, pred, probs, valence, arousal, ...)
 *   split.json         RunSplit: item and class counts per split
 *   examples/index.json ExamplesIndex: thumbnails (files in examples/) with true and predicted labels
 *   problems.json      the items skipped, with why
 *   tensorboard/       TensorBoard event files: train/ and validation/ (native backend)
 *   .percept-run.json  the marker that makes it a run folder percept may clean (src/runs/run_folder.ts)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import type { MetricsFile, PredictionRecord } from '../metrics/evaluate.ts';
import { metricsOf, TOP_K_KEY, type MetricTask } from '../metrics/registry.ts';
import { writeFileAtomic } from '../atomic.ts';
import { parseJson, parseJsonText } from '../json_file.ts';
import { EXPERIMENT_CONFIG, upgradeWithWarnings, type ExperimentConfig } from './config.ts';

/** File names inside a run directory, in one place so writers and readers agree. */
export const RUN_FILES = {
  config: 'config.json',
  summary: 'summary.json',
  history: 'history.json',
  metrics: 'metrics.json',
  predictions: 'predictions.jsonl',
  split: 'split.json',
  examples: 'examples/index.json',
} as const;

export type RunFileKey = keyof typeof RUN_FILES;

/** Extra run file: the items the run skipped, with why (corrupt images, bad annotations, unparseable rows). */
export const PROBLEMS_FILE = 'problems.json';

/** The run's TensorBoard logs: `train/` and `validation/` event files (src/train/tensorboard.ts). */
export const TENSORBOARD_DIR = 'tensorboard';

/** JSON writes NaN as null (JSON.stringify); read it back as NaN so `Estimate` stays `number`. */
const nanable = z
  .number()
  .nullable()
  .transform((value) => value ?? Number.NaN);
const count = z.number().int().min(0);

/** `{value, ci: [lo, hi]}`: every scalar metric (95% bootstrap, src/metrics/bootstrap.ts). */
export const ESTIMATE = z.strictObject({ value: nanable, ci: z.tuple([nanable, nanable]) });

const PER_CLASS = z.strictObject({ precision: ESTIMATE, recall: ESTIMATE, f1: ESTIMATE, support: count });

const CURVES = z.strictObject({
  roc: z.strictObject({ fpr: z.array(z.number()), tpr: z.array(z.number()), auc: nanable }),
  pr: z.strictObject({ recall: z.array(z.number()), precision: z.array(z.number()), ap: nanable }),
});

/** Each registry metric of `task` as an estimate; those that need class probabilities may be absent. */
function metricShape(task: MetricTask): Record<string, z.ZodType> {
  return Object.fromEntries(
    metricsOf(task)
      .filter((metric) => metric.key !== 'topK')
      .map((metric) => [metric.key, metric.needsProbabilities === true ? ESTIMATE.optional() : ESTIMATE]),
  );
}

/** What a classification section holds besides its scalar metrics. */
const CLASSIFICATION_PARTS = {
  n: count,
  per_class: z.record(z.string(), PER_CLASS),
  confusion_matrix: z.strictObject({ labels: z.array(z.string()), matrix: z.array(z.array(z.number().min(0))) }),
  curves: z.record(z.string(), CURVES).optional(),
};

const CLASSIFICATION_METRICS = metricShape('classification');
/** Every key a classification section may hold besides `top<k>`. */
const CLASSIFICATION_KEYS = new Set([...Object.keys(CLASSIFICATION_PARTS), ...Object.keys(CLASSIFICATION_METRICS)]);

/**
 * Classification metrics (src/metrics/classification.ts), one key per metric of the registry (src/metrics/registry.ts).
 * Top-k (k = min(5, classes - 1)) is the one key whose name varies, so unknown keys are let through the object and
 * then checked to be `top<k>` estimates.
 */
const CLASSIFICATION = z
  .looseObject({ ...CLASSIFICATION_PARTS, ...CLASSIFICATION_METRICS })
  .transform((value, context) => {
    const out: Record<string, unknown> = { ...value };
    for (const key of Object.keys(value)) {
      if (CLASSIFICATION_KEYS.has(key)) continue;
      if (!TOP_K_KEY.test(key)) {
        context.addIssue({
          code: 'custom',
          path: [key],
          message: `unknown metric (valid: ${[...CLASSIFICATION_KEYS].join(', ')}, top<k>)`,
        });
        continue;
      }
      const parsed = ESTIMATE.safeParse(value[key]);
      if (parsed.success) out[key] = parsed.data;
      else for (const issue of parsed.error.issues) context.addIssue({ ...issue, path: [key, ...issue.path] });
    }
    return out;
  });

const REGRESSION = z.strictObject({ n: count, ...metricShape('regression') });

const SERIES = z.strictObject({ n: count, ...metricShape('series') });

const SPLIT_METRICS = z.strictObject({
  classification: CLASSIFICATION.optional(),
  valence: REGRESSION.optional(),
  arousal: REGRESSION.optional(),
  series: SERIES.optional(),
});

/**
 * metrics.json: split name ('train', 'val', 'test') -> that split's metrics. Absent tasks are absent keys.
 * The parsed value is typed as src/metrics' `MetricsFile` (zod cannot spell the `top${number}` key type).
 */
export const METRICS_FILE = z.record(z.string(), SPLIT_METRICS);

/** summary.json: what the run is and what it cost. */
export const RUN_SUMMARY = z.strictObject({
  /** Run name (the folder name). */
  name: z.string().min(1),
  /** Registry name of the architecture, e.g. 'mobilenet_v2', 'lstm'. */
  arch: z.string().min(1),
  /** Input shape without the batch axis, e.g. [96, 96, 3] or [24, 1] for a series window. */
  input: z.array(z.number().int().positive()).min(1),
  params: z.strictObject({ total: count, trainable: count, frozen: count }),
  /** Layer counts of the final model (after the last stage). */
  layers: z.strictObject({ total: count, trainable: count, frozen: count }),
  /** Where a freeze cut fell, in words (e.g. 'after block_13_add: 2 blocks trainable'), when freezing was used. */
  freezeCut: z.string().optional(),
  /** Loss per output, e.g. {classification: 'categorical_crossentropy', valence_arousal: 'mse'}. */
  losses: z.record(z.string(), z.string()),
  /** Class names in index order, for classification runs. */
  classNames: z.array(z.string()).optional(),
  /** Where the initial weights came from: 'none' (from scratch), a .h5 or model.json path, or 'run:NAME'. */
  weights: z.string().default('none'),
  /** TensorFlow.js backend that ran it ('tensorflow' native, 'cpu' pure JS). */
  backend: z.string().min(1),
  timings: z.strictObject({
    trainSeconds: z.number().min(0),
    evalSeconds: z.number().min(0).optional(),
    totalSeconds: z.number().min(0),
  }),
  epochs: z.strictObject({ planned: count, run: count, best: count.optional() }),
  stopReason: z.string().optional(),
  seed: z.number().int(),
  /** Hash of the data manifest (ids + labels) the run was trained on. */
  dataHash: z.string().min(1),
  /** percept version or git commit that produced the run. */
  codeVersion: z.string().min(1),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  /** Items skipped while reading or decoding (corrupt images, bad annotations), each with why. */
  skipped: z.array(z.strictObject({ file: z.string(), reason: z.string() })).optional(),
  /** True when a frozen base's features were computed once and the head trained on them. */
  cachedFeatures: z.boolean().optional(),
});

export type RunSummary = z.infer<typeof RUN_SUMMARY>;

/** One epoch as the trainer logs it (src/train/checkpoint.ts `EpochRecord`). */
export const EPOCH_RECORD = z.strictObject({
  /** 1-based epoch over all stages. */
  epoch: z.number().int().positive(),
  /** 0-based stage index (0 without stages). */
  stage: z.number().int().min(0),
  lr: z.number().min(0),
  seconds: z.number().min(0),
  /** loss, val_loss, acc, val_acc, per-output figures...; NaN written as null. */
  logs: z.record(z.string(), nanable),
});

/** history.json. */
export const RUN_HISTORY = z.strictObject({
  epochs: z.array(EPOCH_RECORD),
  /** Why training stopped before the planned epochs, e.g. 'early stopping: val_loss did not improve for 5 epochs'. */
  stopReason: z.string().optional(),
  /** 1-based epoch whose weights were kept (restore-best-weights). */
  bestEpoch: z.number().int().positive().optional(),
  /** The monitored figure for early stopping / best epoch, e.g. 'val_loss'. */
  monitor: z.string().optional(),
});

export type RunHistory = z.infer<typeof RUN_HISTORY>;
export type EpochRecord = z.infer<typeof EPOCH_RECORD>;

const LABEL = z.union([z.number(), z.string()]).nullable().optional();
const VALUE = nanable.optional();

/** One line of predictions.jsonl (src/metrics/evaluate.ts `PredictionRecord`, plus a time stamp for series). */
export const PREDICTION = z.strictObject({
  id: z.string().optional(),
  split: z.string().optional(),
  true: LABEL,
  pred: LABEL,
  probs: z.array(z.number()).nullable().optional(),
  valence: VALUE,
  arousal: VALUE,
  predValence: VALUE,
  predArousal: VALUE,
  target: VALUE,
  forecast: VALUE,
  last: VALUE,
  /** Series: the time of the forecast value (ISO date or index), for plots. */
  time: z.union([z.string(), z.number()]).optional(),
});

export type Prediction = PredictionRecord & { time?: string | number };

/** split.json: how the data was divided. */
export const RUN_SPLIT = z.strictObject({
  seed: z.number().int().optional(),
  stratify: z.boolean().optional(),
  /** Split name -> items in it and, for classification, items per class name. */
  splits: z.record(z.string(), z.strictObject({ count, classes: z.record(z.string(), count).optional() })),
});

export type RunSplit = z.infer<typeof RUN_SPLIT>;

/** examples/index.json: thumbnails for the correctly/incorrectly classified grids. */
export const EXAMPLES_INDEX = z.strictObject({
  items: z.array(
    z.strictObject({
      /** Image file name relative to examples/ (PNG or JPEG). */
      file: z.string().min(1),
      id: z.string().optional(),
      split: z.string().optional(),
      /** Class names. */
      true: z.string(),
      pred: z.string(),
      correct: z.boolean(),
      /** Probability of the predicted class. */
      confidence: z.number().min(0).max(1).optional(),
    }),
  ),
});

export type ExamplesIndex = z.infer<typeof EXAMPLES_INDEX>;

/** A run directory read and validated. Optional parts are undefined when their file is absent (listed in `missing`). */
export interface Run {
  dir: string;
  name: string;
  config: ExperimentConfig;
  summary: RunSummary;
  history?: RunHistory;
  metrics?: MetricsFile;
  predictions?: Prediction[];
  split?: RunSplit;
  examples?: ExamplesIndex;
  /** Optional files not present, e.g. ['predictions.jsonl']. */
  missing: string[];
}

const RUN_SCHEMAS = {
  config: EXPERIMENT_CONFIG,
  summary: RUN_SUMMARY,
  history: RUN_HISTORY,
  metrics: METRICS_FILE,
  split: RUN_SPLIT,
  examples: EXAMPLES_INDEX,
};

/**
 * A forecasting run (time-series data or a forecast head) rather than an image run.
 *
 * @example
 * runs.filter(isSeriesRun).map((run) => run.name);
 */
export function isSeriesRun(run: Pick<Run, 'config'>): boolean {
  return run.config.data.format === 'timeseries' || run.config.model.head.tasks.includes('forecast');
}

const REWRITE_FIX = 'rewrite the file with the current percept (docs/ARCHITECTURE.md §3 lists the run files).';

function parseWith<T extends z.ZodType>(schema: T, raw: unknown, file: string, prefix = ''): z.output<T> {
  return parseJson(schema, raw, file, REWRITE_FIX, prefix);
}

/**
 * Parses one run file's text; `file` names it in errors. Exposed for writers that validate before writing.
 *
 * @example
 * const summary = parseRunFile('summary', JSON.parse(text), 'runs/a/summary.json');
 */
export function parseRunFile<K extends Exclude<RunFileKey, 'predictions'>>(
  key: K,
  raw: unknown,
  file: string,
): ParsedRunFile[K] {
  // A run's config.json from an earlier release is read as configs are: renamed fields under their new names.
  return parseWith(RUN_SCHEMAS[key], key === 'config' ? upgradeWithWarnings(raw, file) : raw, file) as ParsedRunFile[K];
}

/**
 * Reads and parses one JSON file of the run in `dir`; a file that is not JSON or not the contract is a UserError naming
 * it, with `fix`.
 *
 * @example
 * const summary = readRunFile('runs/a', 'summary');
 */
export function readRunFile<K extends Exclude<RunFileKey, 'predictions'>>(
  dir: string,
  key: K,
  fix = 'rerun the run or remove it from the list.',
): ParsedRunFile[K] {
  const file = join(dir, RUN_FILES[key]);
  return parseRunFile(key, parseJsonText(readFileSync(file, 'utf8'), file, fix), file);
}

/** What each JSON run file parses to. */
export interface ParsedRunFile {
  config: ExperimentConfig;
  summary: RunSummary;
  history: RunHistory;
  metrics: MetricsFile;
  split: RunSplit;
  examples: ExamplesIndex;
}

/**
 * Validates `value` against the file's schema, then writes it atomically into the run directory: a writer that
 * drifts from the contract fails where it writes, not later in a report.
 *
 * @example
 * writeRunFile('runs/a', 'history', { epochs: state.history, bestEpoch: 7, monitor: 'val_loss' });
 */
export function writeRunFile<K extends Exclude<RunFileKey, 'predictions'>>(
  dir: string,
  key: K,
  value: ParsedRunFile[K] | z.input<(typeof RUN_SCHEMAS)[K]>,
): void {
  const file = join(dir, RUN_FILES[key]);
  // Validate what lands on disk: JSON turns NaN into null, which the schemas read back as NaN.
  const text = JSON.stringify(value, null, 2) + '\n';
  parseRunFile(key, JSON.parse(text), file);
  writeFileAtomic(file, text);
}

/**
 * Validates every record and writes predictions.jsonl atomically, one JSON object per line.
 *
 * @example
 * writePredictions('runs/a', [{ id: 'img1', split: 'test', true: 2, pred: 2, probs: [0.1, 0.2, 0.7] }]);
 */
export function writePredictions(dir: string, records: readonly Prediction[]): void {
  const file = join(dir, RUN_FILES.predictions);
  const lines = records.map((record) => JSON.stringify(record));
  lines.forEach((line, index) => parseWith(PREDICTION, JSON.parse(line), file, `record ${index}: `));
  writeFileAtomic(file, lines.map((line) => `${line}\n`).join(''));
}

/**
 * Parses predictions.jsonl text (blank lines skipped); errors name the line.
 *
 * @example
 * parsePredictions('{"id":"a","true":1,"pred":1}\n', 'runs/a/predictions.jsonl')[0].pred; // 1
 */
export function parsePredictions(text: string, file: string): Prediction[] {
  const records: Prediction[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (error) {
      throw new UserError(
        `${file}: line ${index + 1}: not valid JSON (${(error as Error).message}). Fix: one JSON object per line.`,
      );
    }
    records.push(parseWith(PREDICTION, raw, file, `line ${index + 1}: `));
  });
  return records;
}

/**
 * Reads and validates a run directory. config.json and summary.json are required; the other files are optional and
 * listed in `missing` when absent (a report shows what they would have given as 'not measured').
 *
 * @example
 * const run = readRun('runs/mobilenetv2');
 * run.metrics?.test?.classification?.accuracy.value;
 */
export function readRun(dir: string): Run {
  const root = resolve(dir);
  if (!existsSync(root))
    throw new UserError(
      `${dir}: no such run directory. Fix: pass a folder written by 'percept train' (e.g. runs/<name>).`,
    );
  const path = (key: RunFileKey): string => join(root, RUN_FILES[key]);
  for (const key of ['config', 'summary'] as const) {
    if (!existsSync(path(key)))
      throw new UserError(
        `${join(dir, RUN_FILES[key])}: missing, so ${dir} is not a finished run. Fix: run 'percept train' to completion or drop it from the list.`,
      );
  }
  const read = <K extends Exclude<RunFileKey, 'predictions'>>(key: K): ParsedRunFile[K] => readRunFile(dir, key);
  const missing: string[] = [];
  const optional = <K extends 'history' | 'metrics' | 'split' | 'examples'>(key: K): ParsedRunFile[K] | undefined => {
    if (!existsSync(path(key))) {
      missing.push(RUN_FILES[key]);
      return undefined;
    }
    return read(key);
  };
  const summary = read('summary');
  const run: Run = {
    dir: root,
    name: summary.name,
    config: read('config'),
    summary,
    missing,
  };
  const history = optional('history');
  if (history !== undefined) run.history = history;
  const metrics = optional('metrics');
  if (metrics !== undefined) run.metrics = metrics;
  if (existsSync(path('predictions')))
    run.predictions = parsePredictions(readFileSync(path('predictions'), 'utf8'), join(dir, RUN_FILES.predictions));
  else missing.push(RUN_FILES.predictions);
  const split = optional('split');
  if (split !== undefined) run.split = split;
  const examples = optional('examples');
  if (examples !== undefined) run.examples = examples;
  return run;
}
