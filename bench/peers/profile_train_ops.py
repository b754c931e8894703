"""Where a training step's time goes, per op: the profile behind the train/* cases that stay below their faster peer.

`--framework percept --graph FILE.pb` replays percept's own traced training step under TensorFlow's profiler
(`.venv`'s python, the same TensorFlow release as percept's libtensorflow): the GraphDef and input shapes that
`PERCEPT_TRACE_DUMP=<folder>` makes percept write when it compiles a step, run as a function without grappler as
percept calls it, on random inputs. `--framework tensorflow` profiles Keras's train_on_batch the same way.
`--framework torch` profiles the PyTorch peer's Adam step with torch.profiler (`.venv-torch`'s python,
torch_common.py's model, layout and threads).

Both are reported the same way: per op type the CPU time per step in ms (TensorFlow: kernel time on its compute
threads, where two independent ops may overlap; torch: self time, its ops run one after another, each over the
intra-op threads), grouped into categories (convolution, depthwise convolution, batch norm, activation, pooling,
optimizer, other), and the step's wall time. Prints one JSON object on stdout.

    PERCEPT_TRACE_DUMP=/tmp/steps npx percept bench --only train/mobilenet_v2/96 --profile quick --peer keras
    .venv/bin/python bench/peers/profile_train_ops.py --framework percept --graph /tmp/steps/<name>.pb --arch mobilenet_v2 --input 96 --batch 32
    .venv/bin/python bench/peers/profile_train_ops.py --framework tensorflow --arch mobilenet_v2 --input 96 --batch 32
    .venv-torch/bin/python bench/peers/profile_train_ops.py --framework torch --arch mobilenet_v2 --input 96 --batch 32
"""
import argparse
import collections
import glob
import json
import os
import re
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PROFILED_STEPS = 3

# Op names matched in order, lower-cased (TensorFlow types such as DepthwiseConv2dNativeBackpropFilter, _FusedConv2D;
# torch ops such as aten::convolution_backward, aten::native_batch_norm); depthwise torch convolutions are told apart
# by their weight's shape (see torch_category).
CATEGORIES = [
    ("depthwise convolution", r"depthwise"),
    ("batch norm", r"batchnorm|batch_norm"),
    ("convolution", r"conv"),
    ("activation", r"relu|sigmoid|tanh|hardswish|silu|swish"),
    ("pooling", r"pool"),
    ("matmul", r"matmul|addmm|linear|mm$"),
    ("optimizer", r"applyadam|adam|_foreach|assign(add|sub)?variable"),
]


def category_of(op_type):
    name = op_type.lower()
    return next((category for category, pattern in CATEGORIES if re.search(pattern, name)), "other")


def summary(framework, args, per_op_ms, step_ms, category_of_op=category_of):
    categories = collections.Counter()
    for op, ms in per_op_ms.items():
        categories[category_of_op(op)] += ms
    top = sorted(per_op_ms.items(), key=lambda item: -item[1])[:15]
    return {
        "framework": framework,
        "arch": args.arch,
        "input": args.input,
        "batch": args.batch,
        "step_ms": round(step_ms, 1),
        "op_ms_per_step": round(sum(per_op_ms.values()), 1),
        "categories_ms": {name: round(ms, 1) for name, ms in categories.most_common()},
        "top_ops_ms": [[name, round(ms, 1)] for name, ms in top],
    }


def tensorflow_profile(run_step):
    """(per-op ms per step, step wall ms) of PROFILED_STEPS calls of `run_step` under TensorFlow's profiler."""
    import tensorflow as tf
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    folder = tempfile.mkdtemp(prefix="percept-tf-profile-")
    tf.profiler.experimental.start(folder)
    start = time.perf_counter()
    for _ in range(PROFILED_STEPS):
        run_step()
    step_ms = (time.perf_counter() - start) * 1000 / PROFILED_STEPS
    tf.profiler.experimental.stop()
    space = xplane_pb2.XSpace()
    with open(glob.glob(os.path.join(folder, "**", "*.xplane.pb"), recursive=True)[0], "rb") as handle:
        space.ParseFromString(handle.read())
    per_op = collections.Counter()
    for plane in space.planes:
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):
                continue
            for event in line.events:
                # Kernel events are named "node_name:OpType"; the executor's own ("ExecutorState::Process") are not.
                name = plane.event_metadata[event.metadata_id].name
                if re.fullmatch(r"[^:]+:\w+", name):
                    per_op[name.rsplit(":", 1)[1]] += event.duration_ps / 1e9 / PROFILED_STEPS
    return per_op, step_ms


def profile_percept(args):
    """percept's traced step from its dumped GraphDef, called as percept calls it: a function, grappler off."""
    import numpy as np
    import tensorflow as tf

    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    graph_def = tf.compat.v1.GraphDef()
    with open(args.graph, "rb") as handle:
        graph_def.ParseFromString(handle.read())
    with open(args.graph[: -len(".pb")] + ".json") as handle:
        spec = json.load(handle)
    step = tf.compat.v1.wrap_function(lambda: tf.compat.v1.import_graph_def(graph_def, name=""), [])
    placeholders = [step.graph.get_tensor_by_name(f"{item['name']}:0") for item in spec["inputs"]]
    outputs = [step.graph.get_tensor_by_name(ref if ":" in ref else ref + ":0") for ref in spec["outputs"]]
    fn = step.prune(placeholders, outputs)
    rng = np.random.default_rng(1)
    # Values do not change the ops' cost: floats in [0, 1) (positive variances, a small rate), integers 0 (a valid
    # class, iteration, seed).
    inputs = [
        tf.constant(rng.random(item["shape"], dtype=np.float32) if item["dtype"] == 1 else np.zeros(item["shape"], dtype=np.int32))
        for item in spec["inputs"]
    ]
    for _ in range(args.warmup):
        fn(*inputs)
    per_op, step_ms = tensorflow_profile(lambda: fn(*inputs))
    return summary("percept", args, per_op, step_ms)


def profile_tensorflow(args):
    import numpy as np
    import tensorflow as tf

    from peer_models import build

    tf.keras.utils.set_random_seed(1)
    model = build(args.arch, (args.input, args.input, 3), args.classes)
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(1)
    x = rng.random((args.batch, args.input, args.input, 3), dtype=np.float32)
    y = rng.integers(0, args.classes, size=(args.batch, 1))
    for _ in range(args.warmup):
        model.train_on_batch(x, y)
    per_op, step_ms = tensorflow_profile(lambda: model.train_on_batch(x, y))
    return summary("tensorflow", args, per_op, step_ms)


def profile_torch(args):
    import torch
    from torch.profiler import ProfilerActivity, profile

    import torch_common

    # As many threads as TensorFlow uses, as the torch peers run (torch_common.parse_args).
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    fmt = torch_common.MEMORY_FORMATS[args.memory_format]
    model = torch_common.build_model(args).to(memory_format=fmt).train()
    x, y = torch_common.random_batch(args, args.batch)
    x = x.contiguous(memory_format=fmt)
    step = torch_common.train_step(model)
    for _ in range(args.warmup):
        step(x, y)
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as profiler:
        start = time.perf_counter()
        for _ in range(PROFILED_STEPS):
            step(x, y)
        step_ms = (time.perf_counter() - start) * 1000 / PROFILED_STEPS
    per_op = collections.Counter()
    for event in profiler.events():
        per_op[torch_op_name(event)] += event.self_cpu_time_total / 1000 / PROFILED_STEPS
    return summary("torch", args, per_op, step_ms)


def torch_op_name(event):
    """The op's name, with its convolutions marked depthwise when the weight (input 2 forward, 3 backward) has one
    input channel per group, and everything the optimizer step runs counted as the optimizer's."""
    parent = event.cpu_parent
    while parent is not None:
        if parent.name.startswith("Optimizer.step"):
            return "optimizer: " + event.name
        parent = parent.cpu_parent
    shapes = event.input_shapes or []
    weight_index = 2 if "backward" in event.name else 1
    if "conv" in event.name and len(shapes) > weight_index:
        weight = shapes[weight_index]
        if len(weight) == 4 and weight[1] == 1 and weight[0] > 1:
            return event.name + " (depthwise)"
    return event.name


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--framework", choices=["percept", "tensorflow", "torch"], required=True)
    parser.add_argument("--graph", help="with --framework percept: a step's GraphDef dumped by PERCEPT_TRACE_DUMP")
    parser.add_argument("--arch", required=True)
    parser.add_argument("--input", type=int, required=True)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--memory-format", choices=["channels_last", "contiguous"], default="channels_last")
    args = parser.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if args.framework == "percept" and not args.graph:
        parser.error("--framework percept needs --graph FILE.pb (see PERCEPT_TRACE_DUMP above)")
    profilers = {"percept": profile_percept, "tensorflow": profile_tensorflow, "torch": profile_torch}
    result = profilers[args.framework](args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
