"""The keras.applications builds and preprocessing shared by the Keras peers, keyed by percept's architecture names.

Every model is built with random weights (weights=None) and its classifier top (include_top=True: global average
pooling and a softmax Dense of `classes` units), which is what percept builds for the same case.
"""
import tensorflow as tf

APPLICATIONS = {
    "mobilenet_v2": (tf.keras.applications.MobileNetV2, tf.keras.applications.mobilenet_v2.preprocess_input),
    "resnet50": (tf.keras.applications.ResNet50, tf.keras.applications.resnet50.preprocess_input),
    "densenet121": (tf.keras.applications.DenseNet121, tf.keras.applications.densenet.preprocess_input),
    "vgg16": (tf.keras.applications.VGG16, tf.keras.applications.vgg16.preprocess_input),
}


def build(arch, shape, classes):
    """keras.applications' `arch` with random weights and a `classes`-way softmax top."""
    return APPLICATIONS[arch][0](input_shape=shape, weights=None, classes=classes)


def preprocess_input(arch):
    """keras.applications' preprocess_input of `arch` (0..255 RGB in)."""
    return APPLICATIONS[arch][1]
