"""Keras peer of train/frozen-base/mobilenet_v2/96: epochs/s of plain `fit` on a frozen MobileNetV2 base plus a
Dense(256)+Dropout(0.5) head, no augmentation, the same sizes as the percept side. Keras runs the frozen base in
every epoch. Prints one JSON object on stdout.
"""
import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", type=int, default=96)
    parser.add_argument("--classes", type=int, default=8)
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()

    tf.keras.utils.set_random_seed(1)
    shape = (args.input, args.input, 3)
    base = tf.keras.applications.MobileNetV2(input_shape=shape, include_top=False, weights=None)
    base.trainable = False
    model = tf.keras.Sequential([
        base,
        tf.keras.layers.GlobalAveragePooling2D(),
        tf.keras.layers.Dense(256, activation="relu"),
        tf.keras.layers.Dropout(0.5),
        tf.keras.layers.Dense(args.classes, activation="softmax"),
    ])
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(1)
    pixels = rng.uniform(0, 255, (args.images, *shape)).astype(np.float32)
    labels = rng.integers(0, args.classes, size=(args.images,))
    start = time.perf_counter()
    x = tf.keras.applications.mobilenet_v2.preprocess_input(pixels)
    model.fit(x, labels, batch_size=args.batch, epochs=args.epochs, shuffle=True, verbose=0)
    elapsed = time.perf_counter() - start
    print(json.dumps({"value": args.epochs / elapsed, "epochs": args.epochs, "seconds": elapsed}))


if __name__ == "__main__":
    main()
