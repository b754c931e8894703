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
  /**
   * Start every residual branch at zero: the last batch norm before each block's addition gets γ = 0, so a network
   * trained from scratch begins as its shortcut path and deepens as it learns (Goyal et al. 2017, 'Accurate, large
   * minibatch SGD', §5.1; torchvision's `zero_init_residual`). Only architectures with `residual: true` have such
   * branches; loaded weights replace γ.
   */
  zeroInitResidual?: boolean;
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
  /** Whether its blocks add their input back (what BuildOptions.zeroInitResidual acts on). */
  residual: boolean;
  build(options: BuildOptions): LayersModel;
}
