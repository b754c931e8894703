"""Keras peer of the epoch/imagefolder/* bench cases: images/s of one training epoch read from a folder of JPEGs.

What a Keras user writes for it: image_dataset_from_directory (bilinear resize to --input, batches of --batch,
shuffled with --seed), RandomFlip, the architecture's keras.applications preprocess_input, prefetch(AUTOTUNE), and
model.fit for one epoch with Adam(1e-3). A fit over the first --warmup batches traces the step first, as percept's
warm-up does; the second fit reuses it. Prints one JSON object on stdout.
"""
import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

from peer_models import build, preprocess_input  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True, help="class folders of JPEGs")
    parser.add_argument("--arch", required=True)
    parser.add_argument("--input", type=int, required=True)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()

    tf.keras.utils.set_random_seed(args.seed)
    images = tf.keras.utils.image_dataset_from_directory(
        args.data, labels="inferred", label_mode="int", image_size=(args.input, args.input), batch_size=args.batch,
        shuffle=True, seed=args.seed, interpolation="bilinear",
    )
    classes = len(images.class_names)
    count = len(images.file_paths)
    flip = tf.keras.layers.RandomFlip("horizontal", seed=args.seed)
    preprocess = preprocess_input(args.arch)
    dataset = images.map(lambda x, y: (preprocess(flip(x, training=True)), y), num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)

    model = build(args.arch, (args.input, args.input, 3), classes)
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    model.fit(dataset.take(args.warmup), epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(dataset, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    print(json.dumps({"value": count / seconds, "images": count, "seconds": seconds, "classes": classes}))


if __name__ == "__main__":
    main()
