/**
 * The experiment config of docs/ARCHITECTURE.md §3, as a zod schema with every default filled in: parsed once, trusted after.
 * Errors name the path and what is allowed (`train.optimizer.lr: expected a number > 0`).
 */
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { describeIssues, readJsonFile } from '../json_file.ts';
import { monitorMode } from '../metrics/registry.ts';

const positiveInt = z.number().int().positive();
const fraction = z.number().min(0).max(1);

/** How far from 1 the split fractions may sum: float sums of decimals such as 0.7 + 0.15 + 0.15 miss 1 by ~1e-16. */
const SPLIT_SUM_TOLERANCE = 1e-6;

const SPLIT = z
  .strictObject({
    train: fraction.default(0.7),
    val: fraction.default(0.15),
    test: fraction.default(0.15),
    /** Keep class proportions in every split. */
    stratify: z.boolean().default(true),
  })
  .refine((split) => Math.abs(split.train + split.val + split.test - 1) <= SPLIT_SUM_TOLERANCE, {
    error: (issue) => {
      const { train, val, test } = issue.input as { train: number; val: number; test: number };
      return `train ${train} + val ${val} + test ${test} = ${Number((train + val + test).toFixed(6))}, not 1 (a field left out takes its default: train 0.7, val 0.15, test 0.15). Fix: give fractions that sum to 1, e.g. {"train": 0.7, "val": 0.15, "test": 0.15}; "test": 0 trains without a test set`;
    },
  });

const AUGMENT = z.strictObject({
  flip: z.boolean().default(false),
  /** Maximum rotation in degrees. */
  rotation: z.number().min(0).max(180).default(0),
  zoom: z.number().min(0).max(1).default(0),
  brightness: z.number().min(0).max(1).default(0),
  contrast: z.number().min(0).max(1).default(0),
});

const DATA = z.strictObject({
  format: z.enum(['affectnet', 'imagefolder', 'csv', 'idx', 'timeseries']),
  path: z.string().min(1),
  imageSize: positiveInt.optional(),
  /** Use at most this many items (quick profiles). */
  limit: positiveInt.optional(),
  split: SPLIT.default(SPLIT.parse({})),
  augment: AUGMENT.default(AUGMENT.parse({})),
});

const TASK = z.enum(['classification', 'valence_arousal', 'forecast']);

const HEAD = z.strictObject({
  /**
   * How image features reach the dense layers: global average or max pooling (the transfer heads: the same layer as
   * keras.applications' `pooling='avg'|'max'`, kept in the head; src/models/head.ts says why) or flatten (a
   * small CNN's classic top, which keeps where a feature is).
   */
  pooling: z.enum(['avg', 'max', 'flatten']).default('avg'),
  dense: z.array(positiveInt).default([]),
  dropout: fraction.default(0),
  /** BatchNorm + LeakyReLU after each dense layer (the AdamW assignment's head). */
  batchNorm: z.boolean().default(false),
  activation: z.enum(['relu', 'leaky_relu']).default('relu'),
  tasks: z.array(TASK).min(1).default(['classification']),
  /** Loss weight per task; a task left out weighs 1. */
  lossWeights: z.partialRecord(TASK, z.number().min(0)).default({}),
});

/** src/models/freeze.ts's FreezeSpec: Keras's layer counting, or whole blocks, or from a named layer on. */
const FREEZE = z.union([
  z.literal('base'),
  z.literal('none'),
  z.strictObject({ trainableTop: z.number().int().min(0) }),
  z.strictObject({ trainableBlocks: z.number().int().min(0) }),
  z.strictObject({ fromLayer: z.string().min(1) }),
]);

const MODEL = z.strictObject({
  arch: z.string().min(1),
  alpha: z.number().positive().optional(),
  /** MobileNetV3 only: keras.applications' `minimalistic=True` (no squeeze-excite, ReLU, 3x3 kernels). */
  minimalistic: z.boolean().optional(),
  /** 'none' (random init), a Keras .h5 file, a tfjs DIR/model.json, or 'run:NAME' (an earlier run's model). */
  weights: z.string().default('none'),
  freeze: FREEZE.default('none'),
  /** Random initialisation only: each residual branch starts at zero (src/models/types.ts BuildOptions.zeroInitResidual). */
  zeroInitResidual: z.boolean().default(false),
  /**
   * Momentum of every BatchNormalization layer (base and head), as a Keras user sets `layer.momentum`; absent: each
   * layer's own (Keras's 0.99, 0.999 in MobileNetV2). A short from-scratch run needs a lower one (e.g. 0.9): at 0.99
   * a few hundred steps leave the moving statistics near their initial 0 / 1, and inference then normalises wrongly.
   */
  batchNormMomentum: z.number().min(0).lt(1).optional(),
  head: HEAD.default(HEAD.parse({})),
});

const OPTIMIZER = z.strictObject({
  name: z.enum(['adam', 'adamw', 'sgd', 'rmsprop']).default('adam'),
  lr: z.number().positive().default(1e-3),
  weightDecay: z.number().min(0).optional(),
  momentum: z.number().min(0).max(1).optional(),
  /** SGD only: Nesterov momentum. */
  nesterov: z.boolean().optional(),
  /** Adam, AdamW and RMSprop: Keras's `epsilon` (default 1e-7). */
  epsilon: z.number().positive().optional(),
});

/** A logged figure to watch: a loss, or a metric of the registry whose direction (min or max) it knows. */
const MONITOR = z.string().refine((name) => monitorMode(name) !== undefined, {
  error: (issue) =>
    `'${String(issue.input)}' is neither a loss nor a metric percept knows (src/metrics/registry.ts). Fix: monitor val_loss, val_acc or val_<task>_loss / _acc / _mae, e.g. "val_classification_acc"`,
});

const SCHEDULE = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('constant') }),
  z.strictObject({ name: z.literal('step'), stepSize: positiveInt, gamma: z.number().positive().default(0.1) }),
  z.strictObject({ name: z.literal('cosine'), minLr: z.number().min(0).default(0) }),
  z.strictObject({
    name: z.literal('plateau'),
    monitor: MONITOR.default('val_loss'),
    factor: z.number().positive().lt(1).default(0.1),
    patience: positiveInt.default(3),
    minLr: z.number().min(0).default(0),
  }),
]);

const EARLY_STOPPING = z.strictObject({
  monitor: MONITOR.default('val_loss'),
  mode: z.enum(['min', 'max', 'auto']).default('auto'),
  minDelta: z.number().min(0).default(0),
  patience: positiveInt.default(5),
  restoreBestWeights: z.boolean().default(true),
});

const STAGE = z.strictObject({
  epochs: positiveInt,
  lr: z.number().positive().optional(),
  trainableTop: z.number().int().min(0).optional(),
});

const TRAIN = z.strictObject({
  batchSize: positiveInt.default(32),
  epochs: positiveInt.default(10),
  optimizer: OPTIMIZER.default(OPTIMIZER.parse({})),
  schedule: SCHEDULE.default({ name: 'constant' }),
  /** false or absent: no early stopping. */
  earlyStopping: z.union([z.literal(false), EARLY_STOPPING]).default(false),
  /** When given, replaces `epochs`: each stage has its epochs, rate and unfrozen top layers. */
  stages: z.array(STAGE).optional(),
  /**
   * 'auto': on the native backend each step runs as one traced TensorFlow function, eager where it cannot (the log
   * says why); 'eager': op by op, with TensorFlow's fused optimizer kernels.
   */
  step: z.enum(['auto', 'eager']).default('auto'),
  /** TensorBoard event files under the run's tensorboard/ (native backend): each epoch's figures and rate, and with `histograms` every weight's histogram. */
  tensorboard: z.strictObject({ histograms: z.boolean().default(false) }).default({ histograms: false }),
});

export const EXPERIMENT_CONFIG = z.strictObject({
  /** What the experiment reproduces, in words. */
  $comment: z.string().optional(),
  /** Names the run folder `<out>/<name>/`: one path segment, and not '.' or '..', which would put the run into --out itself or its parent and clean it. */
  name: z
    .string()
    .regex(
      /^[\w.-]+$/,
      'letters, digits, _ . - only, no path separators (it names the run folder <out>/<name>), e.g. "mobilenetv2_finetune"',
    )
    .refine(
      (name) => !/^\.+$/.test(name),
      '"." and ".." (dots alone) are --out itself and its parent, not a run folder: name the run with letters, digits, _ . -, e.g. "mobilenetv2_finetune"',
    ),
  seed: z.number().int().min(0).default(0),
  data: DATA,
  model: MODEL,
  train: TRAIN.default(TRAIN.parse({})),
  /** Named partial overrides, e.g. `quick` (small data, few epochs) for tests and CI. */
  profiles: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
});

/** A config with every default filled in (what config.json of a run holds). */
export type ExperimentConfig = z.infer<typeof EXPERIMENT_CONFIG>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge of plain objects; arrays and scalars of `override` replace. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = deepMerge(base[key], value);
  return merged;
}

/** `value` with `update` applied at `path` (plain objects copied on the way down); `value` itself where the path is absent. */
function updateAt(value: unknown, path: readonly string[], update: (found: unknown) => unknown): unknown {
  if (path.length === 0) return update(value);
  const [key, ...rest] = path as [string, ...string[]];
  if (!isPlainObject(value) || !(key in value)) return value;
  return { ...value, [key]: updateAt(value[key], rest, update) };
}

/**
 * A config object with the names of earlier releases upgraded, and one deprecation line per upgraded name, naming
 * the file, the field and the fix. The classification task was called `expression` (after AffectNet's labels): in
 * model.head.tasks and lossWeights, and in a monitored log such as `val_expression_loss`.
 *
 * @example
 * upgradeDeprecatedNames({ model: { head: { tasks: ['expression'] } } }, 'a.json').deprecations;
 * // ["a.json: model.head.tasks: 'expression' is deprecated and read as 'classification'. Fix: write 'classification'"]
 */
export function upgradeDeprecatedNames(raw: unknown, source: string): { value: unknown; deprecations: string[] } {
  const deprecations: string[] = [];
  const renamer =
    (field: string) =>
    (name: string): string => {
      const renamed = name.replace(/^(val_)?expression(_|$)/, '$1classification$2');
      if (renamed !== name)
        deprecations.push(
          `${source}: ${field}: '${name}' is deprecated and read as '${renamed}'. Fix: write '${renamed}'`,
        );
      return renamed;
    };
  const names =
    (field: string) =>
    (found: unknown): unknown =>
      Array.isArray(found)
        ? found.map((name: unknown) => (typeof name === 'string' ? renamer(field)(name) : name))
        : found;
  const keys =
    (field: string) =>
    (found: unknown): unknown =>
      isPlainObject(found)
        ? Object.fromEntries(Object.entries(found).map(([key, entry]) => [renamer(field)(key), entry]))
        : found;
  const text =
    (field: string) =>
    (found: unknown): unknown =>
      typeof found === 'string' ? renamer(field)(found) : found;
  let value = updateAt(raw, ['model', 'head', 'tasks'], names('model.head.tasks'));
  value = updateAt(value, ['model', 'head', 'lossWeights'], keys('model.head.lossWeights'));
  value = updateAt(value, ['train', 'earlyStopping', 'monitor'], text('train.earlyStopping.monitor'));
  value = updateAt(value, ['train', 'schedule', 'monitor'], text('train.schedule.monitor'));
  return { value, deprecations };
}

/** upgradeDeprecatedNames, with each deprecation line on stderr (`percept: ...`). */
export function upgradeWithWarnings(raw: unknown, source: string): unknown {
  const { value, deprecations } = upgradeDeprecatedNames(raw, source);
  for (const line of deprecations) console.warn(`percept: ${line}`);
  return value;
}

/**
 * Validates a config object, applies a profile's overrides, and fills in the defaults. Names of earlier releases are
 * read with a deprecation warning on stderr (upgradeDeprecatedNames).
 *
 * @example
 * const config = parseExperimentConfig(JSON.parse(text), 'configs/mobilenetv2.json', 'quick');
 */
export function parseExperimentConfig(raw: unknown, source: string, profile?: string): ExperimentConfig {
  let value = raw;
  if (profile !== undefined) {
    const profiles = isPlainObject(raw) && isPlainObject(raw['profiles']) ? raw['profiles'] : {};
    if (!(profile in profiles)) {
      throw new UserError(
        `${source}: no profile '${profile}'. Valid: ${Object.keys(profiles).join(', ') || '(none: add "profiles": {"${profile}": {...}})'}`,
      );
    }
    value = deepMerge(raw, profiles[profile]);
  }
  const parsed = EXPERIMENT_CONFIG.safeParse(upgradeWithWarnings(value, source));
  if (!parsed.success) {
    throw new UserError(
      `${describeIssues(source, parsed.error)}\nFix: correct the field(s) above (docs/ARCHITECTURE.md §3 lists the config).`,
    );
  }
  return parsed.data;
}

/** Reads and validates a config file. */
export function readExperimentConfig(file: string, profile?: string): ExperimentConfig {
  // Read as any JSON: parseExperimentConfig validates it after applying the profile.
  return parseExperimentConfig(
    readJsonFile(file, z.unknown(), 'give the path of an experiment config .json'),
    file,
    profile,
  );
}
