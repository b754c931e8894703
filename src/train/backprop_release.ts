/**
 * Frees memory during tfjs's backward pass as TensorFlow's executor does in a graph. tfjs keeps every upstream
 * gradient (one per forward activation) and every tensor saved for backprop until the whole backward pass ends, so
 * an eager step's peak is the forward activations plus all of their gradients: 10.8 GB of live tensors for ResNet50
 * at 224 px and batch 32 against Keras's 4.2 GB peak RSS. Once backprop has moved past a tape node, nothing reads
 * that node's upstream gradients or saved tensors again; this releases them then. Values are unchanged: only when
 * tensors are freed differs.
 */
import type { Tensor } from '@tensorflow/tfjs';
import { tf } from '../tf.ts';

/** The part of a tfjs tape node this reads (tfjs-core's TapeNode; not exported by its package). */
interface TapeNode {
  gradient?: (dys: (Tensor | null)[]) => Record<string, () => Tensor>;
  saved?: Tensor[];
}

/** The part of tfjs's engine state this reads. */
interface TapeState {
  activeTape: TapeNode[] | null;
  gradientDepth: number;
}

/**
 * Call at the end of the function given to `tf.variableGrads` (or `tf.grads`), while its tape is still open: each
 * recorded node's gradient then releases the previous node's upstream gradients and saved tensors when backprop
 * reaches it. Only at the first gradient depth: a higher-order gradient reads them again.
 *
 * @example
 * tf.variableGrads(() => { const loss = lossOf(model); releaseDuringBackprop(); return loss; });
 */
export function releaseDuringBackprop(): void {
  const state = (tf.engine() as unknown as { state: TapeState }).state;
  if (state.activeTape === null || state.gradientDepth !== 1) return;
  // How many times a gradient function handed out each tensor: one handed out twice is a gradient of two inputs,
  // which backprop may still read, so it is left to the end of the backward pass.
  const handedOut = new Map<Tensor, number>();
  let done: Tensor[] = [];
  for (const node of state.activeTape) {
    const gradient = node.gradient;
    if (gradient === undefined) continue;
    node.gradient = (dys) => {
      // Backprop walks the tape in reverse and finishes each node (all its input gradients) before the next one.
      tf.dispose(done.filter((tensor) => (handedOut.get(tensor) ?? 0) <= 1));
      done = [...dys.filter((dy): dy is Tensor => dy !== null), ...(node.saved ?? [])];
      const inputGradients = gradient(dys);
      const own = new Set<Tensor>(done);
      return Object.fromEntries(
        Object.entries(inputGradients).map(([name, inputGradient]) => [
          name,
          () => {
            const dx = inputGradient();
            handedOut.set(dx, (handedOut.get(dx) ?? 0) + 1);
            // A gradient that passes its upstream gradient (or a saved tensor) through is still needed.
            if (own.has(dx)) done = done.filter((tensor) => tensor !== dx);
            return dx;
          },
        ]),
      );
    };
  }
}
