/**
 * Test and benchmark fixtures: small run directories made by a seeded generator, so the report can be developed and
 * tested without training. They are fixtures, said so everywhere: names start with `fixture-`, summary.codeVersion is
 * 'fixture', and the metrics are computed by src/metrics from the generated predictions (not written by hand).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { seededRandom } from '../random.ts';
import { evaluatePredictions, type MetricsFile } from '../metrics/evaluate.ts';
import { parseExperimentConfig } from '../runs/config.ts';
import { writePredictions, writeRunFile, type EpochRecord, type Prediction, type RunSplit } from '../runs/run_files.ts';

/** AffectNet's classes (docs/ARCHITECTURE.md §3). */
const EXPRESSIONS = ['Neutral', 'Happy', 'Sad', 'Surprise', 'Fear', 'Disgust', 'Anger', 'Contempt'];
/** Class frequencies shaped like AffectNet's imbalance (many Happy/Neutral, few Contempt). */
const CLASS_WEIGHTS = [0.24, 0.3, 0.1, 0.08, 0.06, 0.05, 0.12, 0.05];

/** One fixture run: what it pretends to be and how good its generated predictions are. */
export interface FixtureRunSpec {
  name: string;
  arch: string;
  kind: 'affect' | 'series';
  /** 0..1: how strongly the generated predictions follow the truth. */
  skill: number;
  /** Extra skill on the train split (the train/validation gap). */
  overfit: number;
  weights: string;
  input: number[];
  params: number;
  frozenShare: number;
  epochs: number;
  /** Epoch (1-based) at which early stopping ends the run, if it does. */
  stopAt?: number;
}

/** The 8 default fixtures: six image models (one transferred) and two series models. */
export const FIXTURE_SPECS: readonly FixtureRunSpec[] = [
  {
    name: 'fixture-simple_cnn',
    arch: 'simple_cnn',
    kind: 'affect',
    skill: 0.35,
    overfit: 0.1,
    weights: 'none',
    input: [64, 64, 3],
    params: 421_000,
    frozenShare: 0,
    epochs: 8,
  },
  {
    name: 'fixture-mobilenet_v2',
    arch: 'mobilenet_v2',
    kind: 'affect',
    skill: 0.6,
    overfit: 0.15,
    weights: 'run:fixture-fashion',
    input: [96, 96, 3],
    params: 2_587_000,
    frozenShare: 0.86,
    epochs: 10,
    stopAt: 9,
  },
  {
    name: 'fixture-mobilenet_v2-scratch',
    arch: 'mobilenet_v2',
    kind: 'affect',
    skill: 0.42,
    overfit: 0.25,
    weights: 'none',
    input: [96, 96, 3],
    params: 2_587_000,
    frozenShare: 0,
    epochs: 10,
  },
  {
    name: 'fixture-resnet50',
    arch: 'resnet50',
    kind: 'affect',
    skill: 0.55,
    overfit: 0.2,
    weights: 'weights/resnet50.h5',
    input: [112, 112, 3],
    params: 24_113_000,
    frozenShare: 0.97,
    epochs: 6,
  },
  {
    name: 'fixture-densenet121',
    arch: 'densenet121',
    kind: 'affect',
    skill: 0.52,
    overfit: 0.12,
    weights: 'weights/densenet121.h5',
    input: [112, 112, 3],
    params: 7_301_000,
    frozenShare: 0.9,
    epochs: 6,
    stopAt: 5,
  },
  {
    name: 'fixture-vgg16',
    arch: 'vgg16',
    kind: 'affect',
    skill: 0.48,
    overfit: 0.3,
    weights: 'weights/vgg16.h5',
    input: [96, 96, 3],
    params: 15_240_000,
    frozenShare: 0.96,
    epochs: 6,
  },
  {
    name: 'fixture-lstm',
    arch: 'lstm',
    kind: 'series',
    skill: 0.7,
    overfit: 0.05,
    weights: 'none',
    input: [24, 1],
    params: 4_481,
    frozenShare: 0,
    epochs: 12,
  },
  {
    name: 'fixture-gru',
    arch: 'gru',
    kind: 'series',
    skill: 0.6,
    overfit: 0.05,
    weights: 'none',
    input: [24, 1],
    params: 3_393,
    frozenShare: 0,
    epochs: 12,
  },
];

export interface FixtureOptions {
  /** Items in the test split (val has the same, train twice as many). Default 120. */
  items?: number;
  seed?: number;
  /** Bootstrap resamples for the metrics (fewer = faster fixtures). Default 200. */
  resamples?: number;
}

function normal(random: () => number): number {
  // Box-Muller transform.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function pickClass(random: () => number): number {
  let r = random();
  for (let k = 0; k < CLASS_WEIGHTS.length; k++) {
    r -= CLASS_WEIGHTS[k]!;
    if (r < 0) return k;
  }
  return CLASS_WEIGHTS.length - 1;
}

function clamp(x: number): number {
  return Math.max(-1, Math.min(1, x));
}

function affectPredictions(spec: FixtureRunSpec, split: string, count: number, random: () => number): Prediction[] {
  const skill = split === 'train' ? Math.min(0.98, spec.skill + spec.overfit) : spec.skill;
  return Array.from({ length: count }, (_, i) => {
    const label = pickClass(random);
    const logits = EXPRESSIONS.map(
      (_, k) => normal(random) + (k === label ? 4 * skill : 0) + Math.log(CLASS_WEIGHTS[k]!),
    );
    const max = Math.max(...logits);
    const exp = logits.map((l) => Math.exp(l - max));
    const sum = exp.reduce((a, b) => a + b, 0);
    const probs = exp.map((e) => Number((e / sum).toFixed(5)));
    const valence = random() < 0.05 ? -2 : clamp(normal(random) * 0.5);
    const arousal = clamp(normal(random) * 0.4 + 0.2);
    return {
      id: `${split}-${String(i).padStart(4, '0')}`,
      split,
      true: label,
      pred: probs.indexOf(Math.max(...probs)),
      probs,
      valence,
      arousal,
      predValence: Number(
        clamp((valence === -2 ? 0 : valence) * skill + normal(random) * 0.3 * (1 - skill)).toFixed(4),
      ),
      predArousal: Number(clamp(arousal * skill * 0.8 + normal(random) * 0.3 * (1 - skill)).toFixed(4)),
    };
  });
}

function seriesPredictions(
  spec: FixtureRunSpec,
  split: string,
  count: number,
  offset: number,
  random: () => number,
): Prediction[] {
  // A seasonal series with trend (the shape of co2-concentration); the model forecast moves `skill` of the way from the naive value to the truth.
  const value = (t: number): number => 315 + 0.12 * t + 3 * Math.sin((2 * Math.PI * t) / 12) + normal(random) * 0.4;
  const records: Prediction[] = [];
  let last = value(offset - 1);
  for (let i = 0; i < count; i++) {
    const t = offset + i;
    const target = value(t);
    const forecast = last + (target - last) * spec.skill + normal(random) * 0.3;
    const date = new Date(Date.UTC(1960, t, 1)).toISOString().slice(0, 10);
    records.push({
      id: `${split}-${t}`,
      split,
      target: Number(target.toFixed(3)),
      forecast: Number(forecast.toFixed(3)),
      last: Number(last.toFixed(3)),
      time: date,
    });
    last = target;
  }
  return records;
}

function history(
  spec: FixtureRunSpec,
  random: () => number,
): { epochs: EpochRecord[]; bestEpoch?: number; stopReason?: string } {
  const run = spec.stopAt ?? spec.epochs;
  const metric = spec.kind === 'series' ? 'mae' : 'acc';
  const epochs: EpochRecord[] = [];
  for (let e = 1; e <= run; e++) {
    const progress = 1 - Math.exp(-e / 3);
    const loss = 2 * (1 - 0.7 * progress) * (1 - (spec.overfit * e) / spec.epochs) + normal(random) * 0.02;
    const valLoss = 2 * (1 - 0.6 * progress) + 0.03 * Math.max(0, e - 5) + normal(random) * 0.03;
    const good = (skill: number): number =>
      metric === 'acc' ? 0.2 + skill * progress * 0.9 : 1.5 * (1 - skill * progress);
    epochs.push({
      epoch: e,
      stage: e > Math.ceil(spec.epochs / 2) && spec.frozenShare > 0 ? 1 : 0,
      lr: e > Math.ceil(spec.epochs / 2) ? 1e-4 : 1e-3,
      seconds: Number((spec.params / 1e6 + 1 + random()).toFixed(2)),
      logs: { loss, [metric]: good(spec.skill + spec.overfit), val_loss: valLoss, [`val_${metric}`]: good(spec.skill) },
    });
  }
  const best = epochs.reduce((a, b) => (b.logs['val_loss']! < a.logs['val_loss']! ? b : a));
  return {
    epochs,
    ...(spec.stopAt !== undefined
      ? {
          bestEpoch: best.epoch,
          stopReason: `early stopping: val_loss did not improve for 3 epochs after epoch ${best.epoch}`,
        }
      : {}),
  };
}

async function thumbnail(file: string, label: number, seed: number): Promise<void> {
  // A grey face-like drawing, different per class: enough to check the grid layout, clearly not a photograph.
  const mouth = label === 1 ? 'M14 30 Q24 38 34 30' : label === 2 ? 'M14 34 Q24 26 34 34' : 'M14 32 L34 32';
  const shade = 150 + ((seed * 37) % 80);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48"><rect width="48" height="48" fill="rgb(${shade},${shade},${shade})"/>` +
    `<circle cx="24" cy="24" r="18" fill="#ddd" stroke="#555"/><circle cx="17" cy="19" r="2.5"/><circle cx="31" cy="19" r="2.5"/>` +
    `<path d="${mouth}" stroke="#333" stroke-width="2" fill="none"/></svg>`;
  await sharp(Buffer.from(svg)).png().toFile(file);
}

/**
 * Writes one fixture run directory with every run file (docs/ARCHITECTURE.md §3).
 *
 * @example
 * await writeFixtureRun('/tmp/runs', FIXTURE_SPECS[0], { seed: 1 });
 */
export async function writeFixtureRun(
  root: string,
  spec: FixtureRunSpec,
  options: FixtureOptions = {},
): Promise<string> {
  const items = options.items ?? 120;
  const seed = options.seed ?? 0;
  const random = seededRandom(seed * 7919 + [...spec.name].reduce((a, c) => a * 31 + c.charCodeAt(0), 0));
  const dir = join(root, spec.name);
  mkdirSync(dir, { recursive: true });
  const series = spec.kind === 'series';
  const counts = { train: items * 2, val: items, test: items };
  const predictions = series
    ? [
        ...seriesPredictions(spec, 'train', counts.train, 24, random),
        ...seriesPredictions(spec, 'val', counts.val, 24 + counts.train, random),
        ...seriesPredictions(spec, 'test', counts.test, 24 + counts.train + counts.val, random),
      ]
    : Object.entries(counts).flatMap(([split, n]) => affectPredictions(spec, split, n, random));
  const classNames = series ? undefined : EXPRESSIONS;
  const metrics: MetricsFile = {};
  for (const split of Object.keys(counts)) {
    metrics[split] = evaluatePredictions(
      predictions.filter((p) => p.split === split),
      { ...(classNames ? { classNames } : {}), seed, resamples: options.resamples ?? 200 },
    );
  }
  const tasks = series ? ['forecast'] : ['classification', 'valence_arousal'];
  const config = parseExperimentConfig(
    {
      name: spec.name,
      seed,
      data: series
        ? {
            format: 'timeseries',
            path: 'node_modules/vega-datasets/data/co2-concentration.csv',
            split: { stratify: false },
          }
        : { format: 'affectnet', path: 'data/synth-affectnet', imageSize: spec.input[0] },
      model: {
        arch: spec.arch,
        weights: spec.weights,
        freeze: spec.frozenShare > 0 ? 'base' : 'none',
        head: { dense: series ? [] : [256], dropout: series ? 0 : 0.3, tasks },
      },
      train: {
        batchSize: series ? 16 : 32,
        epochs: spec.epochs,
        optimizer: {
          name: spec.frozenShare > 0 ? 'adamw' : 'adam',
          lr: 1e-3,
          ...(spec.frozenShare > 0 ? { weightDecay: 1e-4 } : {}),
        },
        schedule: { name: 'step', stepSize: Math.ceil(spec.epochs / 2), gamma: 0.1 },
        earlyStopping: spec.stopAt !== undefined ? { patience: 3 } : false,
      },
    },
    `fixture ${spec.name}`,
  );
  const frozen = Math.round(spec.params * spec.frozenShare);
  const layerCount = series ? 3 : Math.round(20 + spec.params / 200_000);
  const frozenLayers = Math.round(layerCount * spec.frozenShare);
  const hist = history(spec, random);
  const trainSeconds = hist.epochs.reduce((sum, e) => sum + e.seconds, 0);
  writeRunFile(dir, 'config', config);
  writeRunFile(dir, 'summary', {
    name: spec.name,
    arch: spec.arch,
    input: spec.input,
    params: { total: spec.params, trainable: spec.params - frozen, frozen },
    layers: { total: layerCount, trainable: layerCount - frozenLayers, frozen: frozenLayers },
    ...(frozenLayers > 0 ? { freezeCut: `base frozen: first ${frozenLayers} layers` } : {}),
    losses: series ? { forecast: 'mse' } : { classification: 'categorical_crossentropy', valence_arousal: 'mse' },
    ...(classNames ? { classNames } : {}),
    weights: spec.weights,
    backend: 'fixture',
    timings: {
      trainSeconds: Number(trainSeconds.toFixed(2)),
      evalSeconds: 1,
      totalSeconds: Number((trainSeconds + 1).toFixed(2)),
    },
    epochs: {
      planned: spec.epochs,
      run: hist.epochs.length,
      ...(hist.bestEpoch !== undefined ? { best: hist.bestEpoch } : {}),
    },
    ...(hist.stopReason !== undefined ? { stopReason: hist.stopReason } : {}),
    seed,
    dataHash: `fixture-${series ? 'co2' : 'affect'}-${seed}`,
    codeVersion: 'fixture',
  });
  writeRunFile(dir, 'history', { ...hist, monitor: 'val_loss' });
  writeRunFile(dir, 'metrics', metrics);
  writePredictions(dir, predictions);
  const split: RunSplit = { seed, stratify: !series, splits: {} };
  for (const [name, n] of Object.entries(counts)) {
    const inSplit = predictions.filter((p) => p.split === name);
    split.splits[name] = {
      count: n,
      ...(classNames
        ? { classes: Object.fromEntries(classNames.map((c, k) => [c, inSplit.filter((p) => p.true === k).length])) }
        : {}),
    };
  }
  writeRunFile(dir, 'split', split);
  if (!series) {
    mkdirSync(join(dir, 'examples'), { recursive: true });
    const test = predictions.filter((p) => p.split === 'test');
    const chosen = [
      ...test.filter((p) => p.true === p.pred).slice(0, 8),
      ...test.filter((p) => p.true !== p.pred).slice(0, 8),
    ];
    for (const [i, p] of chosen.entries())
      await thumbnail(join(dir, 'examples', `${p.id}.png`), Number(p.true), seed + i);
    writeRunFile(dir, 'examples', {
      items: chosen.map((p) => ({
        file: `${p.id}.png`,
        id: p.id!,
        split: 'test',
        true: EXPRESSIONS[Number(p.true)]!,
        pred: EXPRESSIONS[Number(p.pred)]!,
        correct: p.true === p.pred,
        confidence: Math.max(...p.probs!),
      })),
    });
  }
  return dir;
}

/**
 * Writes the fixture runs (default: all 8 of FIXTURE_SPECS) under `root`; returns their folders.
 *
 * @example
 * const dirs = await writeFixtureRuns(mkdtempSync('/tmp/r-'), { items: 60 });
 */
export async function writeFixtureRuns(
  root: string,
  options: FixtureOptions & { specs?: readonly FixtureRunSpec[] } = {},
): Promise<string[]> {
  const dirs: string[] = [];
  for (const spec of options.specs ?? FIXTURE_SPECS) dirs.push(await writeFixtureRun(root, spec, options));
  return dirs;
}
