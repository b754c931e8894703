"""What the PyTorch peers (torch_train.py, torch_predict.py, torch_epoch.py) share: their common arguments, the models,
threads, memory formats and the timed loop. Runs with `.venv-torch`'s python (npx percept setup --python torch).

The models are torchvision's implementations of the architectures percept and Keras build (random weights, the bench's
class count), and percept's simple_cnn rebuilt layer for layer: they are the same architectures, not the same
networks to the parameter (torchvision's MobileNetV2 has a dropout before its classifier, Keras's has none).
"""
import argparse
import os
import time

import torch
from torch import nn
import torchvision

MEMORY_FORMATS = {"channels_last": torch.channels_last, "contiguous": torch.contiguous_format}


def parse_args(add_own_args):
    """Parses the common arguments and the script's own (`add_own_args(parser)`), and gives torch the threads asked
    for; returns (args, threads)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", required=True)
    parser.add_argument("--input", type=int, required=True)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=3)
    # TensorFlow's intra-op pool has one thread per CPU this process may run on (its NumSchedulableCPUs), so torch
    # gets the same by default; torch's own default is the physical core count. torch's OpenMP threads wait for each
    # other at every parallel region, so other work on the same cores stalls them: on this 2-core machine, busy with
    # another engineer's training, mobilenet_v2/96 batch 8 trained at 0.5-1.4 images/s on 2 threads and 57-67 on 1.
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument(
        "--memory-format",
        choices=["auto", *MEMORY_FORMATS],
        default="auto",
        help="auto: time a short run in each format and keep the faster (reported as memory_format and probe)",
    )
    add_own_args(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    return args, torch.get_num_threads()


def simple_cnn(channels, size, classes):
    """percept's src/models/simple_cnn.ts: conv-BN-ReLU x2, max-pool, dropout 0.25, for 32 then 64 filters; flatten,
    dense 128 ReLU, dropout 0.5, dense. BatchNorm as Keras's defaults: epsilon 1e-3, and Keras's momentum 0.99 (the
    weight of the old moving mean) is torch's momentum 0.01 (the weight of the new batch). The last layer gives logits:
    CrossEntropyLoss applies the log-softmax that percept's softmax output and sparse cross-entropy compute.
    """
    layers, width = [], channels
    for filters in (32, 64):
        for _ in range(2):
            layers += [nn.Conv2d(width, filters, 3, padding=1, bias=False), nn.BatchNorm2d(filters, eps=1e-3, momentum=0.01), nn.ReLU()]
            width = filters
        layers += [nn.MaxPool2d(2), nn.Dropout(0.25)]
    side = size // 2 // 2  # Keras's 'valid' pooling floors odd sides
    layers += [nn.Flatten(), nn.Linear(64 * side * side, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, classes)]
    return nn.Sequential(*layers)


def build_model(args):
    torch.manual_seed(1)
    if args.arch == "simple_cnn":
        return simple_cnn(args.channels, args.input, args.classes)
    if args.channels != 3:
        raise SystemExit(f"--channels {args.channels}: torchvision's {args.arch} takes 3 channels")
    return torchvision.models.get_model(args.arch, weights=None, num_classes=args.classes)


def count_params(model):
    """Weights plus BatchNorm's moving statistics, as Keras's count_params() and percept's countParams() count them."""
    moving = sum(buffer.numel() for name, buffer in model.named_buffers() if name.endswith(("running_mean", "running_var")))
    return sum(parameter.numel() for parameter in model.parameters()) + moving


def random_batch(args, images):
    generator = torch.Generator().manual_seed(1)
    x = torch.rand(images, args.channels, args.input, args.input, generator=generator)
    y = torch.randint(0, args.classes, (images,), generator=generator)
    return x, y


def train_step(model):
    """One Adam step (lr 1e-3, as the Keras peer) that returns the loss to Python, as Keras's train_on_batch does."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def step(x, y):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def timed(step, warmup, min_steps, min_seconds):
    """Runs `step` `warmup` times, then times at least `min_steps` steps and `min_seconds`; returns (steps, seconds)."""
    for _ in range(warmup):
        step()
    steps, start = 0, time.perf_counter()
    while steps < min_steps or time.perf_counter() - start < min_seconds:
        step()
        steps += 1
    return steps, time.perf_counter() - start


def train_throughput(args, memory_format, warmup, min_steps, min_seconds):
    """Images/s of training steps on one fixed random batch in a fresh model; returns (images/s, steps, seconds)."""
    fmt = MEMORY_FORMATS[memory_format]
    model = build_model(args).to(memory_format=fmt).train()
    x, y = random_batch(args, args.batch)
    x = x.contiguous(memory_format=fmt)
    step = train_step(model)
    steps, seconds = timed(lambda: step(x, y), warmup, min_steps, min_seconds)
    return args.batch * steps / seconds, steps, seconds


def choose_memory_format(requested, probe):
    """The requested format, or with auto the one whose `probe(name)` (images/s of a short run) is higher; returns
    (name, {name: probe figure}), the figures empty when nothing was probed."""
    if requested != "auto":
        return requested, {}
    probes = {name: probe(name) for name in MEMORY_FORMATS}
    return max(probes, key=probes.get), probes


def train_probe(args):
    """A probe for choose_memory_format: images/s of a fresh model's training steps after warm-up, over 2 steps."""
    return lambda memory_format: train_throughput(args, memory_format, args.warmup, 2, 0)[0]
