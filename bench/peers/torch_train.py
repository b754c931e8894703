"""PyTorch peer for the training-throughput bench cases: images/s of Adam steps after warm-up, the contract of
keras_train.py (same arguments, one JSON object on stdout with value, steps, seconds, threads).

torchvision's architecture by name with random weights (or percept's simple_cnn rebuilt in torch_common.py), Adam
and cross-entropy, timed on one fixed random batch in model.train() mode. --memory-format auto times both layouts
and keeps the faster, reporting which and both probe figures.
"""
import json

import torch_common


def add_args(parser):
    parser.add_argument("--min-steps", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=5.0)


def main():
    args, threads = torch_common.parse_args(add_args)
    memory_format, probe = torch_common.choose_memory_format(args.memory_format, torch_common.train_probe(args))
    value, steps, seconds = torch_common.train_throughput(args, memory_format, args.warmup, args.min_steps, args.min_seconds)
    params = torch_common.count_params(torch_common.build_model(args))
    print(json.dumps({"value": value, "steps": steps, "seconds": seconds, "threads": threads, "memory_format": memory_format, "probe": probe, "params": params}))


if __name__ == "__main__":
    main()
