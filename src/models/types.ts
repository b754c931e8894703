import type { LayersModel } from '@tensorflow/tfjs';

/** Arguments every architecture builder takes. */
export interface BuildOptions {
  /** Square input side in pixels (time steps for recurrent models). */
  inputSize: number;
  /** Input channels (3 for RGB; features per step for recurrent models). Defaults to the architecture's own. */
  channels?: number;
  /** With the classifier top (Keras `include_top=True`): global pooling + Dense(classes, softmax). */
  includeTop: boolean;
  /**
   * Without the top only (Keras `include_top=False, pooling=…`): a global pooling layer after the last feature map, so
   * that the base outputs [batch, channels]; left out, the base outputs the feature map. Keras ignores `pooling` with
   * the top; buildArchitecture refuses it there, and for architectures without `'pooling'` in their `options`.
   */
  pooling?: GlobalPooling;
  /** Classes of the top; 1000 (ImageNet) by default, as in Keras. */
  classes?: number;
  /** Width multiplier (MobileNets). */
  alpha?: number;
  /**
   * MobileNetV3's `minimalistic=True` (Keras 2.12 keras/applications/mobilenet_v3.py): no squeeze-and-excite, ReLU
   * everywhere hard-swish would be, 3x3 depthwise kernels where 5x5 would be. Only architectures with
   * `'minimalistic'` in their `options` take it.
   */
  minimalistic?: boolean;
  /** Seed of the initial weights (default 0); builds with the same seed are identical. */
  seed?: number;
  /**
   * Start every residual branch at zero: the last batch norm before each block's addition gets γ = 0, so a network
   * trained from scratch begins as its shortcut path and deepens as it learns (Goyal et al. 2017, 'Accurate, large
   * minibatch SGD', §5.1; torchvision's `zero_init_residual`). Only architectures with `residual: true` have such
   * branches; loaded weights replace γ.
   */
  zeroInitResidual?: boolean;
}

/** Keras's `pooling` of a base without its top: GlobalAveragePooling2D ('avg') or GlobalMaxPooling2D ('max'). */
export type GlobalPooling = 'avg' | 'max';

/** The BuildOptions that only some architectures take (ArchitectureSpec.options lists an architecture's). */
export type ArchitectureOption = 'pooling' | 'minimalistic';

/** Input preprocessing of each family, as Keras's `preprocess_input` does it. */
export type PreprocessName = 'mobilenet' | 'caffe' | 'torch' | 'unit' | 'none';

/**
 * One entry of the architecture registry (docs/ARCHITECTURE.md §6).
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
  /** Whether its blocks add their input back (what BuildOptions.zeroInitResidual acts on). */
  residual: boolean;
  /** Which of the options that only some architectures take (pooling, minimalistic) it takes; buildArchitecture refuses the others. */
  options: readonly ArchitectureOption[];
  build(options: BuildOptions): LayersModel;
}
