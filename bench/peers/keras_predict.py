"""Keras peer of the predict/* bench cases: images/s of model.predict on random images after a warm-up call.

Builds the architecture as percept does (random weights, a --classes-way top), predicts one batch to trace the
predict function, then times model.predict over --images images in batches of --batch. Prints one JSON object on
stdout.
"""
import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from peer_models import build  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", required=True)
    parser.add_argument("--input", type=int, required=True)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()

    tf.keras.utils.set_random_seed(1)
    shape = (args.input, args.input, args.channels)
    model = build(args.arch, shape, args.classes)
    x = np.random.default_rng(1).random((args.images, *shape), dtype=np.float32)
    model.predict(x[: args.batch], batch_size=args.batch, verbose=0)
    start = time.perf_counter()
    model.predict(x, batch_size=args.batch, verbose=0)
    seconds = time.perf_counter() - start
    print(json.dumps({"value": args.images / seconds, "images": args.images, "seconds": seconds}))


if __name__ == "__main__":
    main()
