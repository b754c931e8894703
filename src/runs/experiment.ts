/**
 * `runExperiment`: one experiment config end to end (docs/ARCHITECTURE.md §3): data -> model -> trainer -> run directory. The CLI's
 * `percept train`, the demo and the notebooks all call it. A finished run of the same config, data and code is reused;
 * `resume` continues an interrupted run from its last checkpoint; every result file is written atomically and
 * summary.json last, so a directory with a summary is a finished run.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { backendInfo } from '../tf.ts';
import { UserError } from '../errors.ts';
import type { Problem } from '../data/index.ts';
import { evaluatePredictions, type MetricsFile } from '../metrics/evaluate.ts';
import { architectures, countParams } from '../models/index.ts';
import { resolveWeightSource } from '../models/weights.ts';
import { EarlyStopping, type Callback } from '../train/callbacks.ts';
import { hasCheckpoint, publishedCheckpoint } from '../train/checkpoint.ts';
import { ProgressCallback, type ProgressEvent } from '../train/progress.ts';
import { train, type TrainResult } from '../train/trainer.ts';
import { tensorboardUnavailable, type TensorBoardOptions } from '../train/tensorboard.ts';
import { writeJsonAtomic } from '../atomic.ts';
import { codeVersion, isReusable, RUN_KEY, type RunKey } from './cache_key.ts';
import { readJsonOrUndefined } from '../json_file.ts';
import { parseExperimentConfig, readExperimentConfig, type ExperimentConfig } from './config.ts';
import { readProblemsFile } from './problems_file.ts';
import { writeExamples } from './examples.ts';
import { buildExperimentModel, initialTrainableTop, type ExperimentModel } from './experiment_model.ts';
import { cachesFeatures, imageTraining, loadImageData, type ImageData, type ImageTraining } from './image_pipeline.ts';
import { ProblemLog } from '../data/problem_log.ts';
import { saveLayersModel } from '../models/model_files.ts';
import type { FreezeSpec } from '../models/freeze.ts';
import { assertWritableFolder, overlap } from './output_path.ts';
import { clearRunFolder, openRunFolder } from './run_folder.ts';
import {
  readRunFile,
  PROBLEMS_FILE,
  RUN_FILES,
  TENSORBOARD_DIR,
  writePredictions,
  writeRunFile,
  type Prediction,
  type RunSummary,
} from './run_files.ts';
import { loadSeriesData, seriesTraining, type SeriesData } from './series_pipeline.ts';

export interface RunExperimentOptions {
  /** Folder of run directories; the run is `<out>/<config.name>`, and 'run:NAME' weights are looked up there. Default 'runs'. */
  out?: string;
  /** Continue an interrupted run from its last checkpoint. Default false. */
  resume?: boolean;
  /** Retrain even when a finished run of the same config, data and code exists. Default false. */
  force?: boolean;
  /** Profile of the config to apply (e.g. 'quick'). */
  profile?: string;
  /** Called after every batch and epoch (notebook displays, custom progress). */
  onProgress?: (event: ProgressEvent) => void;
  /** More trainer callbacks, e.g. `terminalProgress()` or `notebookProgress()`. */
  callbacks?: Callback[];
  /** Status lines ('reusing runs/a', 'computing base features once'). Default: none. */
  log?: (line: string) => void;
  /** Called once the run folder is locked, before any data is read: where an interrupted run's checkpoint will be (`keptCheckpoint`). */
  onRunFolder?: (dir: string) => void;
}

export interface RunExperimentResult {
  /** The run directory. */
  dir: string;
  summary: RunSummary;
  /** True when a finished run was reused instead of trained. */
  reused: boolean;
  /** Epochs that were already done when a resumed run started (0 for a fresh run). */
  resumedFrom: number;
  /** True when the head trained on base features computed once (frozen base, no augmentation). */
  cachedFeatures: boolean;
  /** Items skipped while reading or decoding (also in the run's problems.json). */
  skipped: Problem[];
}

/** Where the items a run skipped are listed (src/runs/run_files.ts), here too for the callers that read it with a run. */
export { PROBLEMS_FILE };
/** The run's checkpoint folder (src/train/checkpoint.ts). */
const CHECKPOINT_DIR = 'checkpoint';
/** What a checkpoint belongs to, so that `resume` refuses a checkpoint of other data. */
const KEY_FILE = join(CHECKPOINT_DIR, 'run_key.json');

export type Loaded = { kind: 'image'; data: ImageData } | { kind: 'series'; data: SeriesData };

/** A config from a file path (with its profile applied) or an object, validated. */
export function resolveConfig(
  config: ExperimentConfig | string | object,
  profile: string | undefined,
): ExperimentConfig {
  return typeof config === 'string'
    ? readExperimentConfig(config, profile)
    : parseExperimentConfig(config, `(config ${(config as { name?: string }).name ?? 'object'})`, profile);
}

/**
 * Readies the locked run directory: a resumable checkpoint of the same config and data is kept for `resume`; otherwise
 * percept's files in it are removed (the user's stay), unless it holds an unfinished run that neither `resume` nor
 * `force` was asked for.
 */
function prepareDirectory(
  dir: string,
  config: ExperimentConfig,
  key: RunKey,
  options: RunExperimentOptions,
  log: (line: string) => void,
): void {
  const finished = existsSync(join(dir, RUN_FILES.summary));
  const pending = hasCheckpoint(join(dir, CHECKPOINT_DIR)) && !finished;
  if (options.resume === true && pending) {
    const saved = readRunKey(join(dir, KEY_FILE));
    if (saved === undefined)
      throw new UserError(
        `${join(dir, KEY_FILE)} is missing or damaged, so the checkpoint cannot be matched to ${config.name}'s config and data. Fix: pass --force to start over`,
      );
    if (JSON.stringify(saved.config) !== JSON.stringify(key.config) || saved.dataHash !== key.dataHash) {
      throw new UserError(
        `${dir}: its checkpoint belongs to another config or other data than ${config.name}'s now. Fix: pass --force to start over, or restore the config`,
      );
    }
    if (saved.codeVersion !== key.codeVersion)
      log(`note: the code changed since the checkpoint (${saved.codeVersion} -> ${key.codeVersion}); resuming anyway`);
    return;
  }
  if (options.resume === true) log(`${dir}: no unfinished run to resume; starting from epoch 1`);
  if (pending && options.force !== true) {
    throw new UserError(
      `${dir}: holds an unfinished run with a checkpoint. Fix: pass --resume to continue it, or --force to start over`,
    );
  }
  clearRunFolder(dir, log);
  writeJsonAtomic(join(dir, KEY_FILE), key);
}

/**
 * The checkpoint an interrupted run keeps (the one checkpoint/latest.json publishes), or undefined before its first
 * epoch ended.
 *
 * @example
 * keptCheckpoint('runs/a'); // { epoch: 3, path: 'runs/a/checkpoint/epoch-0003' }
 */
export function keptCheckpoint(dir: string): { epoch: number; path: string } | undefined {
  return publishedCheckpoint(join(dir, CHECKPOINT_DIR));
}

/**
 * Refuses a run folder that is, holds or lies inside the run's data or weights: training writes into its folder and
 * cleans it, which once deleted a dataset at `<out>/<name>` and then 'finished' with every item skipped.
 */
function assertApartFromInputs(dir: string, config: ExperimentConfig, runsRoot: string, source: string): void {
  const inputs: [string, string][] = [['data.path', config.data.path]];
  if (config.model.weights !== 'none')
    inputs.push(['model.weights', resolveWeightSource(config.model.weights, runsRoot).file]);
  for (const [field, path] of inputs) {
    const how = overlap(dir, path);
    if (how !== undefined) {
      throw new UserError(
        `${source}: the run folder ${dir} ${how} ${field} ${path}, which training would write into or clean. Fix: choose another "name" in ${source} or another --out`,
      );
    }
  }
}

/** The run key a checkpoint was made for; undefined when the file is missing or damaged (the checkpoint then cannot be trusted). */
function readRunKey(file: string): RunKey | undefined {
  return readJsonOrUndefined(file, RUN_KEY);
}

function countLayers(model: ExperimentModel): RunSummary['layers'] {
  const trainable = model.model.layers.filter((layer) => layer.trainable && layer.weights.length > 0).length;
  const frozen = model.model.layers.filter((layer) => !layer.trainable && layer.weights.length > 0).length;
  return { total: model.model.layers.length, trainable, frozen };
}

/**
 * Trains and evaluates one experiment into `<out>/<name>/`, or reuses the finished run there.
 *
 * @example
 * const { dir, summary } = await runExperiment('configs/mobilenetv2_finetune.json', { profile: 'quick', out: 'runs' });
 * console.log(dir, summary.epochs.run);
 */
export async function runExperiment(
  configOrPath: ExperimentConfig | string | object,
  options: RunExperimentOptions = {},
): Promise<RunExperimentResult> {
  const log = options.log ?? (() => undefined);
  const config = resolveConfig(configOrPath, options.profile);
  const source = typeof configOrPath === 'string' ? configOrPath : `config ${config.name}`;
  const runsRoot = resolve(options.out ?? 'runs');
  const dir = join(runsRoot, config.name);
  // Every refusal comes before any work: a run that cannot be written must not read data or train first.
  assertWritableFolder(runsRoot, `--out ${options.out ?? 'runs'}`);
  assertApartFromInputs(dir, config, runsRoot, source);
  const lock = openRunFolder(dir, `choose another "name" in ${source} or another --out, or move ${dir} away`, log);
  try {
    options.onRunFolder?.(dir);
    return await runLocked(config, dir, runsRoot, options, log);
  } finally {
    lock.release();
  }
}

/**
 * `runExperiment` once the run folder is this process's, as named stages that each go down the layers once:
 * load the data, reuse a finished run, build the model, fit it (every training stage, then the val/test
 * predictions), evaluate the predictions, write the run.
 */
async function runLocked(
  config: ExperimentConfig,
  dir: string,
  runsRoot: string,
  options: RunExperimentOptions,
  log: (line: string) => void,
): Promise<RunExperimentResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const problems = new ProblemLog();
  const loaded = await loadData(config, problems);
  const key: RunKey = {
    config: JSON.parse(JSON.stringify(config)),
    dataHash: loaded.data.dataHash,
    codeVersion: codeVersion(),
  };
  const reused = reuseFinished(dir, key, config, options, log);
  if (reused !== undefined) return reused;
  prepareDirectory(dir, config, key, options, log);
  writeRunFile(dir, 'config', config);
  const built = buildModel(config, loaded, runsRoot);
  const fitted = await fit(config, loaded, built, problems, dir, options, log);
  const metrics = evaluate(fitted.records, built.classNames, config.seed);
  const skipped = problems.list();
  const summary = await writeRun({
    config,
    dir,
    key,
    loaded,
    built,
    fitted,
    metrics,
    skipped,
    startedAt,
    sessionStarted: started,
  });
  return {
    dir,
    summary,
    reused: false,
    resumedFrom: fitted.result.resumedFrom,
    cachedFeatures: fitted.cachedFeatures,
    skipped,
  };
}

/** The config's data, opened, verified and split (bad items into `problems`). */
export async function loadData(config: ExperimentConfig, problems: ProblemLog): Promise<Loaded> {
  return config.data.format === 'timeseries'
    ? { kind: 'series', data: loadSeriesData(config, problems) }
    : { kind: 'image', data: await loadImageData(config, problems) };
}

/** The finished run in `dir` when it was made from the same config, data and code (and --force is not given). */
function reuseFinished(
  dir: string,
  key: RunKey,
  config: ExperimentConfig,
  options: RunExperimentOptions,
  log: (line: string) => void,
): RunExperimentResult | undefined {
  const previous =
    options.force !== true && isReusable(dir, key) ? readProblemsFile(join(dir, PROBLEMS_FILE)) : undefined;
  if (previous !== undefined && 'error' in previous)
    log(`${join(dir, PROBLEMS_FILE)}: ${previous.error}; retraining instead of reusing the finished run`);
  if (previous === undefined || !('items' in previous)) return undefined;
  log(`reusing the finished run ${dir} (same config, data and code; --force retrains)`);
  const summary = readRunFile(dir, 'summary', 'rerun with --force');
  return {
    dir,
    summary,
    reused: true,
    resumedFrom: 0,
    cachedFeatures: cachesFeatures(config),
    skipped: previous.items,
  };
}

export interface Built {
  model: ExperimentModel;
  /** The dataset's classes (empty for a series). */
  classNames: readonly string[];
  arch: string;
  /** The freeze of the first stage, before any stage's trainableTop overrides it. */
  initialTop: FreezeSpec;
}

/** The config's model for its loaded data, with its initial weights (`runsRoot` resolves 'run:NAME'). */
export function buildModel(config: ExperimentConfig, loaded: Loaded, runsRoot: string): Built {
  const classNames = loaded.kind === 'image' ? loaded.data.dataset.classes : [];
  const spec = architectures.get(config.model.arch);
  const model = buildExperimentModel(config, {
    classes: classNames.length,
    inputSize: loaded.kind === 'image' ? (config.data.imageSize ?? spec.defaultInput) : loaded.data.lookback,
    ...(loaded.kind === 'series' ? { channels: 1 } : {}),
    runsRoot,
  });
  return { model, classNames, arch: spec.name, initialTop: initialTrainableTop(config.model.freeze) };
}

interface Fitted {
  result: TrainResult;
  records: Prediction[];
  /** Where the base's cut fell in the last stage (undefined: nothing frozen). */
  freezeCut: ReturnType<ExperimentModel['applyFreeze']>;
  cachedFeatures: boolean;
  stopper: EarlyStopping | undefined;
  evalSeconds: number;
  /** This session's training (a resumed run's `result.trainSeconds` also counts the earlier sessions). */
  sessionTrainSeconds: number;
}

/** The trainer's TensorBoard option for this run, or none (with why, once) where no event file can be written. */
function tensorboardOption(
  config: ExperimentConfig,
  dir: string,
  log: (line: string) => void,
): { tensorboard?: TensorBoardOptions } {
  const unavailable = tensorboardUnavailable();
  if (unavailable !== undefined) {
    log(`no TensorBoard logs: ${unavailable}`);
    return {};
  }
  return { tensorboard: { dir: join(dir, TENSORBOARD_DIR), histograms: config.train.tensorboard.histograms } };
}

/**
 * What the trainer trains on for the loaded data, and how the trained model predicts val and test: image batches
 * (streamed, or a frozen base's cached features) or series windows. The caller disposes it.
 */
export async function trainingSetup(
  config: ExperimentConfig,
  loaded: Loaded,
  model: ExperimentModel,
  problems: ProblemLog,
): Promise<ImageTraining> {
  return loaded.kind === 'image'
    ? imageTraining(config, loaded.data, model, problems)
    : { ...seriesTraining(config, loaded.data, model), trainModel: model.model, cachedFeatures: false };
}

/** Trains every stage of the config (with its callbacks and checkpoints), then predicts the val and test splits. */
async function fit(
  config: ExperimentConfig,
  loaded: Loaded,
  built: Built,
  problems: ProblemLog,
  dir: string,
  options: RunExperimentOptions,
  log: (line: string) => void,
): Promise<Fitted> {
  const { model, initialTop } = built;
  let freezeCut = model.applyFreeze(initialTop);
  const setup = await trainingSetup(config, loaded, model, problems);
  if (setup.cachedFeatures)
    log('frozen base without augmentation: base features computed once, the head trains on them');
  const stopper = config.train.earlyStopping === false ? undefined : new EarlyStopping(config.train.earlyStopping);
  const callbacks: Callback[] = [
    ...(stopper === undefined ? [] : [stopper]),
    ...(options.callbacks ?? []),
    ...(options.onProgress === undefined ? [] : [new ProgressCallback(options.onProgress)]),
  ];
  const trainStarted = performance.now();
  try {
    const result = await train({
      model: setup.trainModel,
      outputs: model.outputs,
      train: setup.train,
      validation: setup.validation,
      epochs: config.train.epochs,
      optimizer: config.train.optimizer,
      schedule: config.train.schedule,
      ...(config.train.stages === undefined ? {} : { stages: config.train.stages }),
      onStage: (stage) => {
        freezeCut = model.applyFreeze(stage.trainableTop ?? initialTop);
      },
      callbacks,
      checkpointDir: join(dir, CHECKPOINT_DIR),
      ...tensorboardOption(config, dir, log),
      resume: options.resume === true,
      log,
      seed: config.seed,
      stepMode: config.train.step,
    });
    const sessionTrainSeconds = (performance.now() - trainStarted) / 1000;
    const evalStarted = performance.now();
    const records = await setup.predict();
    return {
      result,
      records,
      freezeCut,
      cachedFeatures: setup.cachedFeatures,
      stopper,
      evalSeconds: (performance.now() - evalStarted) / 1000,
      sessionTrainSeconds,
    };
  } finally {
    setup.dispose();
  }
}

/** Metrics of each split that has predictions, with bootstrap intervals seeded by the run's seed. */
function evaluate(records: readonly Prediction[], classNames: readonly string[], seed: number): MetricsFile {
  return Object.fromEntries(
    ['val', 'test']
      .map((split) => [split, records.filter((record) => record.split === split)] as const)
      .filter(([, list]) => list.length > 0)
      .map(([split, list]) => [
        split,
        evaluatePredictions(list, { ...(classNames.length > 0 ? { classNames: [...classNames] } : {}), seed }),
      ]),
  );
}

interface RunOutcome {
  config: ExperimentConfig;
  dir: string;
  key: RunKey;
  loaded: Loaded;
  built: Built;
  fitted: Fitted;
  metrics: MetricsFile;
  skipped: Problem[];
  startedAt: string;
  /** performance.now() when this session started. */
  sessionStarted: number;
}

/** Writes the run's files, summary.json last (a run with a summary is finished), and disposes the model. */
async function writeRun(outcome: RunOutcome): Promise<RunSummary> {
  const { config, dir, key, loaded, built, fitted, metrics, skipped } = outcome;
  const { model, classNames } = built;
  const { result, stopper } = fitted;
  await saveLayersModel(model.model, join(dir, 'model'));
  writeRunFile(dir, 'history', {
    epochs: result.history,
    ...(result.stopReason === undefined ? {} : { stopReason: result.stopReason }),
    ...(stopper !== undefined && stopper.restoreBestWeights && stopper.bestEpoch >= 0
      ? { bestEpoch: stopper.bestEpoch + 1, monitor: stopper.monitor.monitor }
      : {}),
  });
  writeRunFile(dir, 'metrics', metrics);
  writePredictions(dir, fitted.records);
  writeRunFile(dir, 'split', loaded.data.splitFile);
  if (loaded.kind === 'image' && config.model.head.tasks.includes('classification')) {
    const byId = new Map(loaded.data.dataset.items.map((item) => [item.id, item]));
    writeRunFile(dir, 'examples', await writeExamples(join(dir, 'examples'), fitted.records, byId, [...classNames]));
  }
  writeJsonAtomic(join(dir, PROBLEMS_FILE), { count: skipped.length, items: skipped });
  const params = countParams(model.model);
  const summary: RunSummary = {
    name: config.name,
    arch: built.arch,
    input: model.input,
    params: { total: params.total, trainable: params.trainable, frozen: params.nonTrainable },
    layers: countLayers(model),
    ...(fitted.freezeCut === undefined ? {} : { freezeCut: fitted.freezeCut }),
    losses: Object.fromEntries(model.outputs.map((output) => [output.name, output.loss])),
    ...(classNames.length > 0 ? { classNames: [...classNames] } : {}),
    weights: config.model.weights,
    backend: `${backendInfo.kind} (${backendInfo.packageName}, tfjs ${backendInfo.tfjsVersion}${backendInfo.tfVersion === null ? '' : `, libtensorflow ${backendInfo.tfVersion}`})`,
    // A resumed run's training spans every session: its total counts the earlier sessions' training too.
    timings: {
      trainSeconds: result.trainSeconds,
      evalSeconds: fitted.evalSeconds,
      totalSeconds:
        (performance.now() - outcome.sessionStarted) / 1000 + result.trainSeconds - fitted.sessionTrainSeconds,
    },
    epochs: {
      planned: config.train.stages?.reduce((sum, stage) => sum + stage.epochs, 0) ?? config.train.epochs,
      run: result.history.length,
      ...(stopper !== undefined && stopper.bestEpoch >= 0 ? { best: stopper.bestEpoch + 1 } : {}),
    },
    ...(result.stopReason === undefined ? {} : { stopReason: result.stopReason }),
    seed: config.seed,
    dataHash: key.dataHash,
    codeVersion: key.codeVersion,
    startedAt: outcome.startedAt,
    finishedAt: new Date().toISOString(),
    skipped,
    cachedFeatures: fitted.cachedFeatures,
  };
  writeRunFile(dir, 'summary', summary);
  model.model.dispose();
  model.head.dispose();
  return summary;
}
