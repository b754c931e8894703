"""PyTorch peer for the inference bench cases: images/s of model.eval() under torch.inference_mode() over a fixed
random tensor of --images images in batches of --batch, after --warmup batches. Timed in whole passes over the images
until --min-seconds. One JSON object on stdout with value, images, seconds, threads, memory_format.

--memory-format auto times one pass in each layout and keeps the faster.
"""
import json

import torch

import torch_common


def add_args(parser):
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--min-seconds", type=float, default=5.0)


def main():
    args, threads = torch_common.parse_args(add_args)
    x, _ = torch_common.random_batch(args, args.images)

    def throughput(memory_format, min_seconds):
        fmt = torch_common.MEMORY_FORMATS[memory_format]
        model = torch_common.build_model(args).to(memory_format=fmt).eval()
        images = x.contiguous(memory_format=fmt)  # slices along the batch keep the layout's strides

        def one_pass():
            for start in range(0, args.images, args.batch):
                model(images[start : start + args.batch])

        with torch.inference_mode():
            for _ in range(args.warmup):
                model(images[: args.batch])
            passes, seconds = torch_common.timed(one_pass, 0, 1, min_seconds)
        return args.images * passes / seconds, passes, seconds

    memory_format, probe = torch_common.choose_memory_format(args.memory_format, lambda name: throughput(name, 0)[0])
    value, passes, seconds = throughput(memory_format, args.min_seconds)
    print(json.dumps({"value": value, "images": args.images * passes, "seconds": seconds, "threads": threads, "memory_format": memory_format, "probe": probe}))


if __name__ == "__main__":
    main()
