"""Keras peer for the training-throughput bench cases: images/s of Keras's `fit` steps after warm-up.

Builds the same architecture as percept (keras.applications by name, or percept's own topology exported as
Keras-compatible JSON with --model-json), compiles with Adam and sparse categorical cross-entropy, and times
steps on fixed random batches, exactly as the percept side does. The steps run in `fit` over the batch repeated, not
in `train_on_batch`: `fit`'s step measured faster (ResNet50, 224 px, batch 16: 8.4 images/s against 6.8-7.6), so
Keras is timed at its best. A callback reads the clock after each batch and stops `fit` once the budget is spent.
With --report peak-rss the value is instead the process's peak resident memory in MB after those steps (the
memory/train/* cases run it in a fresh process).
Prints one JSON object on stdout.
"""
import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from peer_models import build  # noqa: E402


class StepTimer(tf.keras.callbacks.Callback):
    """Counts the steps after `warmup` (the first traces the step) and stops training once the budget is spent."""

    def __init__(self, warmup, min_steps, min_seconds):
        super().__init__()
        self.warmup, self.min_steps, self.min_seconds = warmup, min_steps, min_seconds
        self.batches, self.steps, self.started, self.seconds = 0, 0, None, 0.0

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        self.batches += 1
        if self.batches == self.warmup:
            self.started = now
        if self.batches <= self.warmup:
            return
        self.steps += 1
        self.seconds = now - self.started
        if self.steps >= self.min_steps and self.seconds >= self.min_seconds:
            self.model.stop_training = True



def peak_rss_mb():
    """This process's own peak RSS in MB: VmHWM, as bench/peak_rss.ts reads it (ru_maxrss would read the parent's)."""
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    raise RuntimeError('no VmHWM in /proc/self/status')

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", required=True)
    parser.add_argument("--model-json", help="Keras-compatible model topology (percept's model.toJSON())")
    parser.add_argument("--input", type=int, required=True)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--min-steps", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=5.0)
    parser.add_argument("--report", choices=["images-per-second", "peak-rss"], default="images-per-second")
    args = parser.parse_args()

    tf.keras.utils.set_random_seed(1)
    shape = (args.input, args.input, args.channels)
    if args.model_json:
        with open(args.model_json) as handle:
            model = tf.keras.models.model_from_json(handle.read())
    else:
        model = build(args.arch, shape, args.classes)
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(1)
    x = rng.random((args.batch, *shape), dtype=np.float32)
    y = rng.integers(0, args.classes, size=(args.batch, 1))
    timer = StepTimer(args.warmup, args.min_steps, args.min_seconds)
    batches = tf.data.Dataset.from_tensors((x, y)).repeat()
    model.fit(batches, epochs=1, steps_per_epoch=10**9, callbacks=[timer], verbose=0)
    steps, elapsed = timer.steps, timer.seconds
    peak_mb = peak_rss_mb()
    value = peak_mb if args.report == "peak-rss" else args.batch * steps / elapsed
    print(json.dumps({"value": value, "steps": steps, "seconds": elapsed, "peak_rss_mb": peak_mb, "threads": tf.config.threading.get_intra_op_parallelism_threads()}))


if __name__ == "__main__":
    main()
