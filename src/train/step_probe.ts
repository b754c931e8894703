/**
 * Which way each zoo architecture's training steps run here (`percept doctor`): two steps of a tiny batch through the
 * trainer, as `percept train` runs them, and whether the second replayed a traced function.
 */
import { tf } from '../tf.ts';
import { ARCHITECTURES, buildArchitecture } from '../models/index.ts';
import { tracingUnavailable } from './traced_step.ts';
import { train } from './trainer.ts';

/** 'traced', or 'eager (why)'. */
export type StepModeReport = Record<string, string>;

const CLASSES = 2;
const BATCH = 2;

/** Runs every architecture at its smallest input (recurrent: 4 steps of 2 features) and reports its step mode. */
export async function probeStepModes(): Promise<StepModeReport> {
  const report: StepModeReport = {};
  // Without TensorFlow functions every architecture steps eagerly, for the same reason: no need to train to know.
  const unavailable = tracingUnavailable();
  if (unavailable !== undefined)
    return Object.fromEntries(ARCHITECTURES.map((spec) => [spec.name, `eager (${unavailable})`]));
  for (const spec of ARCHITECTURES) {
    const recurrent = spec.family === 'recurrent';
    const size = recurrent ? 4 : spec.minInput;
    const channels = recurrent ? 2 : spec.channels;
    const model = buildArchitecture(spec.name, { inputSize: size, channels, includeTop: true, classes: CLASSES });
    const shape = recurrent ? [BATCH, size, channels] : [BATCH, size, size, channels];
    const batch = () => ({ x: tf.zeros(shape), targets: [tf.tensor1d([0, 1], 'int32')] });
    try {
      const result = await train({
        model,
        outputs: [{ name: 'class', loss: 'sparse_categorical_crossentropy' }],
        train: { batches: () => [batch(), batch()] },
        epochs: 1,
        optimizer: { name: 'adam', lr: 1e-3 },
        log: () => {},
      });
      report[spec.name] = result.tracedSteps > 0 ? 'traced' : `eager (${result.eagerReason ?? 'no step replayed'})`;
    } finally {
      model.dispose();
    }
  }
  return report;
}
