import type { LayersModel } from '@tensorflow/tfjs';

/** Arguments every architecture builder takes. */
export interface BuildOptions {
  /** Square input side in pixels (time steps for recurrent models). */
  inputSize: number;
  /** Input channels (3 for RGB; features per step for recurrent models). Defaults to the architecture's own. */
  channels?: number;
  /** With the classifier top (Keras `include_top=True`): global pooling + Dense(classes, softmax). */
  includeTop: boolean;
  /** Classes of the top; 1000 (ImageNet) by default, as in Keras. */
  classes?: number;
  /** Width multiplier (MobileNets). */
  alpha?: number;
  /** Seed of the initial weights (default 0); builds with the same seed are identical. */
  seed?: number;
}

/** Input preprocessing of each family, as Keras's `preprocess_input` does it. */
export type PreprocessName = 'mobilenet' | 'caffe' | 'torch' | 'unit' | 'none';

/**
 * One entry of the architecture registry (DESIGN.md §6).
 *
 * @example
 * const spec = architectures.get('mobilenet_v2');
 * const model = spec.build({ inputSize: 96, includeTop: false });
 */
export interface ArchitectureSpec<Name extends string = string> {
  name: Name;
  family: string;
  /** Input side used when a config gives none. */
  defaultInput: number;
  /** Smallest input side the architecture allows (Keras's own minimums). */
  minInput: number;
  /** Input channels the architecture expects by default. */
  channels: number;
  preprocess: PreprocessName;
  build(options: BuildOptions): LayersModel;
}
