"""Keras peer of the data/decode/96 bench case: images/s from JPEG files to normalized batches.

Reads every image under --dir with keras.utils.image_dataset_from_directory (labels=None, bilinear resize to
--size, batches of --batch), divides by 255 as a Rescaling layer would, prefetches, and times one full pass after
a warm-up pass over --warmup batches. Prints one JSON object on stdout.
"""
import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()

    def dataset():
        images = tf.keras.utils.image_dataset_from_directory(
            args.dir, labels=None, image_size=(args.size, args.size), batch_size=args.batch, shuffle=False, interpolation="bilinear"
        )
        return images.map(lambda x: x / 255.0, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)

    for batch in dataset().take(args.warmup):
        batch.numpy()
    count = 0
    start = time.perf_counter()
    for batch in dataset():
        count += int(batch.numpy().shape[0])
    seconds = time.perf_counter() - start
    print(json.dumps({"value": count / seconds, "images": count, "seconds": seconds}))


if __name__ == "__main__":
    main()
