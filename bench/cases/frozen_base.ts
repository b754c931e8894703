/**
 * `train/frozen-base/mobilenet_v2/96`: epochs/s of training a Dense(256)+Dropout(0.5) head on a frozen MobileNetV2
 * base without augmentation. percept computes the base features once (src/train/feature_cache.ts) and trains the head
 * on them; Keras's plain `fit` on the same stacked model runs the base every epoch. Both times include everything
 * after model building: percept's feature pass counts against it.
 */
import type { LayersModel, Rank } from '@tensorflow/tfjs';
import { tf } from '../../src/tf.ts';
import { buildArchitecture, preprocess } from '../../src/models/index.ts';
import { seedWeights } from '../../src/models/init.ts';
import { extractFeatures } from '../../src/train/feature_cache.ts';
import { tensorSource } from '../../src/train/tensor_source.ts';
import { train } from '../../src/train/trainer.ts';
import type { BenchCase, BenchContext } from '../case.ts';
import { runPythonPeer } from '../harness.ts';

const INPUT = 96;
const CLASSES = 8;
const BATCH = 32;

/** 20 epochs, as the frozen-base configs train (configs/frozen_*.json): the feature pass is paid once per run. */
function sizes(context: BenchContext): { images: number; epochs: number } {
  return context.profile === 'quick' ? { images: 64, epochs: 3 } : { images: 512, epochs: 20 };
}

function head(featureShape: number[]): LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.globalAveragePooling2d({ inputShape: featureShape }),
      tf.layers.dense({ units: 256, activation: 'relu' }),
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.dense({ units: CLASSES, activation: 'softmax' }),
    ],
  });
  seedWeights(model, 2);
  return model;
}

async function measurePercept(context: BenchContext): Promise<number> {
  const { images, epochs } = sizes(context);
  const base = buildArchitecture('mobilenet_v2', { inputSize: INPUT, includeTop: false, seed: 1 });
  base.trainable = false;
  const pixels = tf.randomUniform<Rank.R4>([images, INPUT, INPUT, 3], 0, 255, 'float32', 1);
  const labels = tf.randomUniform([images], 0, CLASSES, 'int32', 2);
  const start = performance.now();
  const ready = preprocess('mobilenet', pixels);
  const features = extractFeatures(base, ready, 64);
  const model = head(features.shape.slice(1));
  await train({
    model,
    outputs: [{ name: 'classification', loss: 'sparse_categorical_crossentropy' }],
    train: tensorSource(features, [labels], { batchSize: BATCH, shuffle: true, seed: 3 }),
    epochs,
    optimizer: { name: 'adam', lr: 1e-3 },
  });
  const seconds = (performance.now() - start) / 1000;
  context.log(`percept: ${epochs} epochs of ${images} images in ${seconds.toFixed(2)} s (features computed once)`);
  tf.dispose([pixels, labels, ready, features]);
  model.dispose();
  base.dispose();
  return epochs / seconds;
}

export const FROZEN_BASE_CASES: BenchCase[] = [
  {
    name: `train/frozen-base/mobilenet_v2/${INPUT}`,
    unit: 'epochs/s',
    higherIsBetter: true,
    percept: measurePercept,
    peers: {
      keras: async (context) => {
        const { images, epochs } = sizes(context);
        return runPythonPeer(context, 'keras_frozen_fit.py', [
          '--input',
          String(INPUT),
          '--classes',
          String(CLASSES),
          '--images',
          String(images),
          '--epochs',
          String(epochs),
          '--batch',
          String(BATCH),
        ]);
      },
    },
  },
];
