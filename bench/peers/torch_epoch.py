"""PyTorch peer for the image-folder epoch bench cases: images/s of one training epoch over a folder of image files,
decoded, resized and augmented by a DataLoader, with Adam, timed from the end of --warmup batches to the epoch's end.
One JSON object on stdout with value, images, seconds, threads, workers, memory_format.

--data is either an ImageFolder (one subfolder per class) or a flat folder of images (such as `percept data synth`'s
OUT/images), whose labels are then the file's index modulo --classes. Pixels as Keras's image_dataset_from_directory
makes them, which percept matches: decoded to RGB (grey with --channels 1), resized to --input x --input bilinearly
without antialiasing, then a random horizontal flip and a scale to [0, 1]. Files are decoded to tensors
(torchvision.io) because torchvision's Resize always antialiases PIL images.

--workers defaults to 0 (batches made in the training process): on this 2-core machine, with mobilenet_v2/96 batch 32
over 512 JPEGs of 160 px, 0 workers gave 26 images/s, 1 gave 9.7 and 2 gave 16.9 (1 training thread; the machine was
shared, so indicative). A worker process takes a core from training's threads rather than adding one.
"""
import functools
import json
import os
import time

import torch
from torchvision import datasets
from torchvision.io import ImageReadMode, decode_image
from torchvision.transforms import InterpolationMode, v2

import torch_common

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")


class FlatFolder(torch.utils.data.Dataset):
    """The images directly in a folder, in name order, labelled by index modulo `classes`."""

    def __init__(self, root, classes, transform, loader):
        self.files = sorted(os.path.join(root, name) for name in os.listdir(root) if name.lower().endswith(IMAGE_EXTENSIONS))
        self.classes, self.transform, self.loader = classes, transform, loader

    def __len__(self):
        return len(self.files)

    def __getitem__(self, index):
        return self.transform(self.loader(self.files[index])), index % self.classes


def open_dataset(args, transform):
    loader = functools.partial(decode_image, mode=ImageReadMode.RGB if args.channels == 3 else ImageReadMode.GRAY)
    if any(name.lower().endswith(IMAGE_EXTENSIONS) for name in os.listdir(args.data)):
        return FlatFolder(args.data, args.classes, transform, loader), args.classes
    dataset = datasets.ImageFolder(args.data, transform=transform, loader=loader)
    return dataset, len(dataset.classes)


def add_args(parser):
    parser.add_argument("--data", required=True, help="ImageFolder root, or a flat folder of images")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1, help="the shuffle's seed")


def main():
    args, threads = torch_common.parse_args(add_args)
    transform = v2.Compose([
        v2.Resize((args.input, args.input), interpolation=InterpolationMode.BILINEAR, antialias=False),
        v2.RandomHorizontalFlip(),
        v2.ToDtype(torch.float32, scale=True),
    ])
    dataset, args.classes = open_dataset(args, transform)
    if len(dataset) <= args.warmup * args.batch:
        raise SystemExit(f"{args.data}: {len(dataset)} images leave no batch to time after {args.warmup} warm-up batches of {args.batch}")
    memory_format, probe = torch_common.choose_memory_format(args.memory_format, torch_common.train_probe(args))
    fmt = torch_common.MEMORY_FORMATS[memory_format]

    model = torch_common.build_model(args).to(memory_format=fmt).train()
    step = torch_common.train_step(model)
    loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch, shuffle=True, num_workers=args.workers, generator=torch.Generator().manual_seed(args.seed))
    images, start = 0, None
    for index, (x, y) in enumerate(loader):
        step(x.contiguous(memory_format=fmt), y)
        if index + 1 == args.warmup:
            start = time.perf_counter()
        elif index + 1 > args.warmup:
            images += len(y)
    seconds = time.perf_counter() - start
    print(json.dumps({"value": images / seconds, "images": images, "seconds": seconds, "threads": threads, "workers": args.workers, "memory_format": memory_format, "probe": probe}))


if __name__ == "__main__":
    main()
