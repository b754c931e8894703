/**
 * Recurrent forecasters for time series (SimpleRNN, LSTM, GRU): one recurrent layer over a window of `inputSize`
 * steps with `channels` features each, as the course's series assignments build them with keras.layers; the top is a
 * linear Dense over the last state (one value ahead, or `classes` values).
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';
import { apply } from './layers.ts';
import type { BuildOptions } from './types.ts';

/** Units of the recurrent layer. */
const UNITS = 64;

type Cell = 'simple_rnn' | 'lstm' | 'gru';

function recurrent(cell: Cell, options: BuildOptions): LayersModel {
  const input = tf.input({ shape: [options.inputSize, options.channels ?? 1], name: 'input_1' });
  // tfjs defaults the gates to hardSigmoid; Keras 2 uses sigmoid. tfjs's GRU has no reset_after=True (Keras 2's
  // default), so a percept GRU has Keras's reset_after=False layout and cannot load Keras 2 GRU weights.
  // The recurrent kernel starts at zero only until buildArchitecture's seeded pass writes its orthogonal value
  // (tfjs's own orthogonal initializer is unseeded and warns on every build).
  const common = { units: UNITS, recurrentInitializer: 'zeros' as const, name: cell };
  const gated = { ...common, recurrentActivation: 'sigmoid' as const };
  const layer =
    cell === 'lstm' ? tf.layers.lstm(gated) : cell === 'gru' ? tf.layers.gru(gated) : tf.layers.simpleRNN(common);
  let x = apply(layer, input);
  if (options.includeTop) x = apply(tf.layers.dense({ units: options.classes ?? 1, name: 'predictions' }), x);
  return tf.model({ inputs: input, outputs: x, name: cell });
}

export const simpleRnn = (options: BuildOptions): LayersModel => recurrent('simple_rnn', options);
export const lstm = (options: BuildOptions): LayersModel => recurrent('lstm', options);
export const gru = (options: BuildOptions): LayersModel => recurrent('gru', options);
