"""Reference values from keras.applications (Keras 2: tf-keras 2.16 on tensorflow-cpu 2.16.2) for percept's model tests.

Run by keras_parity.test.ts as `.venv/bin/python keras_reference.py OUT`, once per test run, into a temporary folder:
- OUT/counts.json: per build, every layer's name, class and parameter count, and the model's total / trainable /
  non-trainable parameters (with and without top; MobileNetV2 at alphas 1.0 and 0.35; MobileNetV3 minimalistic;
  every architecture with pooling 'avg' and 'max'), with the build's options under percept's BuildOptions names;
- per output build OUT/STEM.h5 (save_weights of a randomly weighted model without top: every architecture, minimalistic
  MobileNetV3 Small, minimalistic MobileNetV3 Large pooled by 'max'), OUT/STEM.input.f32 and OUT/STEM.output.f32
  (float32, row-major), and the preprocess_input of one batch per architecture;
- chunked.h5 (attributes split into chunks, as Keras does past HDF5's header limit) and suffixed_notop.h5 (the same
  weights, '_1'-suffixed weight names and byte-string attributes as older Keras files have them, top left out).
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tf_keras.src.saving.legacy import hdf5_format  # noqa: E402  (Keras 2: tf-keras, as tf.keras in this venv)

apps = tf.keras.applications

BUILDERS = {
    "mobilenet_v2": lambda **kw: apps.MobileNetV2(**kw),
    "mobilenet_v3_small": lambda **kw: apps.MobileNetV3Small(**kw),
    "mobilenet_v3_large": lambda **kw: apps.MobileNetV3Large(**kw),
    "resnet50": lambda **kw: apps.ResNet50(**kw),
    "densenet121": lambda **kw: apps.DenseNet121(**kw),
    "vgg16": lambda **kw: apps.VGG16(**kw),
}

PREPROCESS = {
    "mobilenet_v2": apps.mobilenet_v2.preprocess_input,
    "mobilenet_v3_small": apps.mobilenet_v3.preprocess_input,
    "mobilenet_v3_large": apps.mobilenet_v3.preprocess_input,
    "resnet50": apps.resnet50.preprocess_input,
    "densenet121": apps.densenet.preprocess_input,
    "vgg16": apps.vgg16.preprocess_input,
}


def build(name, size, include_top, options):
    """`options`: alpha, minimalistic, pooling, named alike in Keras and in percept's BuildOptions."""
    # A fresh session per build, so Keras's automatic layer names (re_lu, multiply, ...) start at 0 as in percept.
    tf.keras.backend.clear_session()
    return BUILDERS[name](weights=None, include_top=include_top, input_shape=(size, size, 3), **options)


def size_of(weights):
    return int(sum(np.prod(w.shape) for w in weights))


def record(builds, name, size, include_top, options=None):
    """Builds and records one model; returns it."""
    options = options or {}
    model = build(name, size, include_top, options)
    builds.append(
        {
            "name": name,
            "options": options,
            "includeTop": include_top,
            "input": size,
            "total": model.count_params(),
            "trainable": size_of(model.trainable_weights),
            "nonTrainable": size_of(model.non_trainable_weights),
            "layers": [[layer.name, type(layer).__name__, layer.count_params()] for layer in model.layers],
        }
    )
    return model


def counts(builds):
    # Input sizes where the counts do not depend on the size; VGG16's Flatten top does (224 px, as in ImageNet).
    # The plain builds without top are recorded by outputs(), which builds them anyway.
    for name in BUILDERS:
        record(builds, name, 224 if name == "vgg16" else 32, True)
    for include_top in (False, True):
        record(builds, "mobilenet_v2", 32, include_top, {"alpha": 0.35})
        for name in ("mobilenet_v3_small", "mobilenet_v3_large"):
            record(builds, name, 32, include_top, {"minimalistic": True})
    for name in BUILDERS:
        for pooling in ("avg", "max"):
            record(builds, name, 32, False, {"pooling": pooling})


# Each output comparison: file stem -> architecture, input size (64 px for the MobileNets, 32 for the heavy ones),
# options.
OUTPUTS = {
    "mobilenet_v2": ("mobilenet_v2", 64, {}),
    "mobilenet_v3_small": ("mobilenet_v3_small", 64, {}),
    "mobilenet_v3_large": ("mobilenet_v3_large", 64, {}),
    "resnet50": ("resnet50", 32, {}),
    "densenet121": ("densenet121", 32, {}),
    "vgg16": ("vgg16", 32, {}),
    "mobilenet_v3_small_minimalistic": ("mobilenet_v3_small", 64, {"minimalistic": True}),
    "mobilenet_v3_large_minimalistic_max": ("mobilenet_v3_large", 64, {"minimalistic": True, "pooling": "max"}),
}


def randomize(model, rng):
    """Random values for every weight, moving statistics included, so that loading each one matters."""
    for layer in model.layers:
        values = []
        for weight in layer.weights:
            shape = tuple(weight.shape)
            short = weight.name.split("/")[-1].split(":")[0]
            if short in ("moving_variance", "gamma"):
                values.append(rng.uniform(0.5, 1.5, shape))
            elif short in ("moving_mean", "beta", "bias"):
                values.append(rng.normal(0, 0.1, shape))
            else:
                fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else shape[0]
                values.append(rng.normal(0, np.sqrt(1.0 / max(fan_in, 1)), shape))
        if values:
            layer.set_weights([v.astype(np.float32) for v in values])


def write_f32(path, array):
    np.ascontiguousarray(array, dtype="<f4").tofile(path)


def outputs(out, builds):
    rng = np.random.default_rng(0)
    meta = {}
    for stem, (name, size, options) in OUTPUTS.items():
        model = record(builds, name, size, False, options)
        randomize(model, rng)
        model.save_weights(os.path.join(out, f"{stem}.h5"))
        images = rng.uniform(0, 255, (2, size, size, 3)).astype(np.float32)
        prediction = model.predict(PREPROCESS[name](images.copy()), verbose=0)
        write_f32(os.path.join(out, f"{stem}.input.f32"), images)
        write_f32(os.path.join(out, f"{stem}.output.f32"), prediction)
        meta[stem] = {"arch": name, "options": options, "input": list(images.shape), "output": list(prediction.shape)}

    # preprocess_input of one 0..255 batch per architecture (it is per family in Keras).
    batch = rng.uniform(0, 255, (2, 4, 4, 3)).astype(np.float32)
    write_f32(os.path.join(out, "preprocess.input.f32"), batch)
    for name, fn in PREPROCESS.items():
        write_f32(os.path.join(out, f"preprocess.{name}.f32"), fn(batch.copy()))
    meta["preprocess"] = {"input": list(batch.shape)}

    # A MobileNetV2 with its top (10 classes), saved by Keras's own writer with attributes forced into chunks
    # (layer_names0, layer_names1, ..., weight_names0, ...), as Keras does past HDF5's 64 KB header limit.
    tf.keras.backend.clear_session()
    model = apps.MobileNetV2(weights=None, include_top=True, input_shape=(32, 32, 3), classes=10)
    randomize(model, rng)
    limit = hdf5_format.HDF5_OBJECT_HEADER_LIMIT
    hdf5_format.HDF5_OBJECT_HEADER_LIMIT = 64
    try:
        model.save_weights(os.path.join(out, "chunked.h5"))
    finally:
        hdf5_format.HDF5_OBJECT_HEADER_LIMIT = limit
    images = rng.uniform(0, 255, (2, 32, 32, 3)).astype(np.float32)
    write_f32(os.path.join(out, "chunked.input.f32"), images)
    write_f32(os.path.join(out, "chunked.output.f32"), model.predict(PREPROCESS["mobilenet_v2"](images.copy()), verbose=0))
    with h5py.File(os.path.join(out, "chunked.h5"), "r") as f:
        meta["chunked"] = {"input": list(images.shape), "attributes": sorted(f.attrs.keys())}

    # The same weights with '_1'-suffixed weight names (as TF1-era files have them: tfjs#755), attributes stored as
    # fixed-length byte strings like keras.applications' *_notop.h5 files, and the top left out.
    with h5py.File(os.path.join(out, "chunked.h5"), "r") as src, h5py.File(os.path.join(out, "suffixed_notop.h5"), "w") as dst:
        layer_names = hdf5_format.load_attributes_from_hdf5_group(src, "layer_names")
        kept = [n for n in layer_names if n not in ("global_average_pooling2d", "predictions")]
        dst.attrs["layer_names"] = np.array([n.encode("utf8") for n in kept], dtype="S")
        dst.attrs["backend"] = b"tensorflow"
        dst.attrs["keras_version"] = b"2.1.2"
        for layer_name in kept:
            group = dst.create_group(layer_name)
            names = hdf5_format.load_attributes_from_hdf5_group(src[layer_name], "weight_names")
            renamed = []
            for weight_name in names:
                prefix, short = weight_name.rsplit("/", 1)
                new_name = f"{prefix}_1/{short.replace(':0', '_1:0')}"
                group.create_dataset(new_name, data=src[layer_name][weight_name][()])
                renamed.append(new_name.encode("utf8"))
            group.attrs["weight_names"] = np.array(renamed, dtype="S") if renamed else np.zeros((0,), dtype="S1")
    meta["suffixed_notop"] = {"layers": len(kept)}

    with open(os.path.join(out, "outputs.json"), "w") as f:
        json.dump(meta, f)


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    builds = []
    outputs(out, builds)
    counts(builds)
    with open(os.path.join(out, "counts.json"), "w") as f:
        json.dump(builds, f)
