/**
 * Inference as one TensorFlow function per input shape (native backend with percept's binding extension), as Keras's
 * `predict` runs its model: the second batch of a shape runs eagerly with tfjs-node's binding recorded
 * (src/native/op_recorder.ts), the recording becomes a function (src/native/traced_function.ts), and later batches of
 * that shape are one native call of it. The weights enter the graph as constants, so TensorFlow's graph optimizer
 * (grappler) folds and fuses what an eager pass runs op by op (convolution, bias, batch norm, activation): the fusion
 * that makes Keras's predict faster than its own eager `model(x)`.
 *
 * A shape seen once is never traced (a last partial batch costs no compilation), and a function is dropped when any
 * weight has been assigned since it was recorded, so a predictor never answers with stale weights. Where tracing is
 * unavailable or a recording cannot become a graph, batches run eagerly through `model.predict`.
 *
 * `predictorFor(model)` keeps a model's predictor between calls, so a run's val and test predictions, or a frozen
 * base's features for each split, trace the model once rather than once per call.
 */
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { errorMessage } from '../errors.ts';
import { recordOps } from '../native/op_recorder.ts';
import { asArray } from './forward.ts';
import { TracedFunction, type FunctionBackend } from '../native/traced_function.ts';
import { dtypeNumber, tracingUnavailable } from './traced_step.ts';

interface ShapeFunction {
  fn: TracedFunction;
  /** The binding ids of the weights it was recorded with (its constants). */
  weightIds: number[];
}

/**
 * Predicts batches with `model` in inference mode, replaying one traced function per repeated input shape.
 * `dispose()` unregisters the functions (their constants are a copy of the weights).
 *
 * @example
 * const predictor = new TracedPredictor(model);
 * try { for (const x of batches) use(predictor.predict(x)); } finally { predictor.dispose(); }
 */
export class TracedPredictor {
  private readonly functions = new Map<string, ShapeFunction>();
  private readonly seen = new Set<string>();
  /** Why batches run eagerly, once tracing failed or when it is unavailable. */
  eagerReason: string | undefined = tracingUnavailable();
  /** Batches that ran as one function call. */
  replays = 0;

  constructor(private readonly model: LayersModel) {}

  /** The model's outputs for `x` (one tensor per output), which the caller disposes; `x` stays the caller's. */
  predict(x: Tensor): Tensor[] {
    if (this.eagerReason !== undefined) return this.eager(x);
    const backend = tf.backend() as unknown as FunctionBackend;
    const key = `${x.dtype}[${x.shape.join(',')}]`;
    const weightIds = backend.getInputTensorIds(this.model.weights.map((weight) => weight.read()));
    const traced = this.functions.get(key);
    if (traced !== undefined && weightIds.every((id, i) => id === traced.weightIds[i])) {
      this.replays++;
      return traced.fn.call([x], { optimize: true });
    }
    traced?.fn.dispose();
    this.functions.delete(key);
    if (!this.seen.has(key)) {
      this.seen.add(key);
      return this.eager(x);
    }
    return this.trace(backend, key, x, weightIds);
  }

  private eager(x: Tensor): Tensor[] {
    return asArray(this.model.predict(x));
  }

  /** Records one eager pass over `x` and compiles it; the pass's own outputs are the answer. */
  private trace(backend: FunctionBackend, key: string, x: Tensor, weightIds: number[]): Tensor[] {
    const [inputId] = backend.getInputTensorIds([x]);
    const { result, recording } = recordOps(backend, new Set([inputId!]), () => this.eager(x));
    let reason = recording.untraceable;
    if (reason === undefined) {
      try {
        const input = { id: inputId!, dtype: dtypeNumber(backend, x), shape: x.shape };
        const fn = TracedFunction.compile(backend, recording, [input], backend.getInputTensorIds(result));
        this.functions.set(key, { fn, weightIds });
      } catch (error) {
        reason = errorMessage(error);
      }
    }
    if (reason !== undefined) this.eagerReason = `prediction runs eagerly (op by op): ${reason}`;
    return result;
  }

  dispose(): void {
    for (const { fn } of this.functions.values()) fn.dispose();
    this.functions.clear();
  }
}

/**
 * How many models keep their predictor (and so their traced functions, whose constants are a copy of the weights)
 * between calls: a run predicts with one model at a time (its base while caching features, then its head or the
 * whole model), so two bound the copies held while never retracing within a run.
 */
const KEPT_PREDICTORS = 2;
const keptPredictors = new Map<LayersModel, TracedPredictor>();

/**
 * The predictor kept for `model` (made on first use); the least recently used beyond `KEPT_PREDICTORS` models is
 * disposed. Callers do not dispose it.
 *
 * @example
 * for (const x of batches) use(predictorFor(model).predict(x));
 */
export function predictorFor(model: LayersModel): TracedPredictor {
  const predictor = keptPredictors.get(model) ?? new TracedPredictor(model);
  keptPredictors.delete(model);
  keptPredictors.set(model, predictor);
  for (const [oldest, old] of keptPredictors) {
    if (keptPredictors.size <= KEPT_PREDICTORS) break;
    old.dispose();
    keptPredictors.delete(oldest);
  }
  return predictor;
}
