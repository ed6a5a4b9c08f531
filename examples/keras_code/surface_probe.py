"""Probes the Keras surface that published training scripts use most, and lists what fails.

Each probe is a few lines of ordinary Keras code, run with ``keras`` being Keras
itself (``--backend keras``) or minidl behind the corpus runner's import hook
(``--backend minidl``, the default); a probe passes when it runs and its check
holds. The ``keras.ops`` probe lists the numpy-like names of ``keras.ops`` that
``minidl.ops`` lacks (read from the installed Keras).

    python examples/keras_code/surface_probe.py                   # minidl: each failing probe and why
    python examples/keras_code/surface_probe.py --backend keras   # the probes themselves, on Keras
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
PROBES = []


def probe(function):
    PROBES.append(function)
    return function


def data(n=64, features=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    return x, rng.integers(0, classes, n)


def classifier(keras, features=4, classes=3):
    model = keras.Sequential([keras.Input((features,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(classes, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


# ------------------------------------------------------------------ transfer learning
@probe
def layer_trainable_freezes(keras):
    model = classifier(keras)
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    frozen = model.layers[0].get_weights()[0].copy()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(*data(), epochs=1, verbose=0)
    assert np.array_equal(frozen, model.layers[0].get_weights()[0])


@probe
def model_trainable_freezes_and_unfreezes(keras):
    base = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu")])
    base.trainable = False
    model = keras.Sequential([base, keras.layers.Dense(3, activation="softmax")])
    assert len(model.trainable_weights) == 2 and len(base.trainable_weights) == 0
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(*data(), epochs=1, verbose=0)
    base.trainable = True
    model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="sparse_categorical_crossentropy")
    before = base.get_weights()[0].copy()
    model.fit(*data(), epochs=1, verbose=0)
    assert not np.array_equal(before, base.get_weights()[0]) and len(model.trainable_weights) == 4


@probe
def frozen_batch_norm_runs_in_inference_mode(keras):
    inputs = keras.Input((4,))
    bn = keras.layers.BatchNormalization()
    model = keras.Model(inputs, bn(inputs))
    bn.trainable = False
    x = data()[0] * 3 + 1
    assert np.allclose(np.asarray(model(x, training=True)), np.asarray(model(x, training=False)), atol=1e-6)
    assert len(bn.non_trainable_weights) == 4


@probe
def functional_model_as_layer_with_training_false(keras):
    base = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.BatchNormalization()])
    base.trainable = False
    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(3, activation="softmax")(base(inputs, training=False))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    moving = base.layers[1].get_weights()[2].copy()
    model.fit(*data(), epochs=1, verbose=0)
    assert np.array_equal(moving, base.layers[1].get_weights()[2])


# ------------------------------------------------------------------ schedules
SCHEDULES = {
    "ExponentialDecay": dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5),
    "InverseTimeDecay": dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5),
    "PiecewiseConstantDecay": dict(boundaries=[5, 10], values=[0.1, 0.05, 0.01]),
    "CosineDecay": dict(initial_learning_rate=0.0, decay_steps=20, warmup_target=0.1, warmup_steps=5),
    "CosineDecayRestarts": dict(initial_learning_rate=0.1, first_decay_steps=5),
    "PolynomialDecay": dict(initial_learning_rate=0.1, decay_steps=20, end_learning_rate=0.01, power=2.0),
}
SCHEDULE_VALUES = {  # Keras 3.15's values at steps 0, 3, 7, 12, 30
    "ExponentialDecay": [0.1, 0.0812252, 0.0615572, 0.0435275, 0.0125],
    "InverseTimeDecay": [0.1, 0.0869565, 0.0740741, 0.0625, 0.04],
    "PiecewiseConstantDecay": [0.1, 0.1, 0.05, 0.01, 0.01],
    "CosineDecay": [0.0, 0.06, 0.0975528, 0.0726995, 0.0],
    "CosineDecayRestarts": [0.1, 0.0345491, 0.0904508, 0.0206107, 0.0146447],
    "PolynomialDecay": [0.1, 0.075025, 0.048025, 0.0244, 0.01],
}


def make_schedule_probe(name):
    def check(keras):
        schedule = getattr(keras.optimizers.schedules, name)(**SCHEDULES[name])
        values = [float(np.asarray(schedule(step))) for step in (0, 3, 7, 12, 30)]
        assert np.allclose(values, SCHEDULE_VALUES[name], atol=1e-6), values
        model = classifier(keras)
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule), loss="sparse_categorical_crossentropy")
        model.fit(*data(), epochs=1, batch_size=16, verbose=0)
        config = keras.optimizers.schedules.serialize(schedule)
        assert keras.optimizers.schedules.deserialize(config).get_config() == schedule.get_config()

    check.__name__ = f"schedule_{name}"
    return check


for _name in SCHEDULES:
    probe(make_schedule_probe(_name))


# ------------------------------------------------------------------ fit's arguments
@probe
def fit_validation_split_and_freq(keras):
    history = classifier(keras).fit(*data(), validation_split=0.25, epochs=4, validation_freq=2, verbose=0)
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2


@probe
def fit_validation_data_with_sample_weights(keras):
    x, y = data()
    history = classifier(keras).fit(x, y, validation_data=(x[:16], y[:16], np.ones(16)), epochs=1, verbose=0)
    assert "val_loss" in history.history


@probe
def fit_initial_epoch_steps_and_class_weight(keras):
    x, y = data()
    history = classifier(keras).fit(x, y, epochs=3, initial_epoch=1, shuffle=False, steps_per_epoch=2,
                                    batch_size=8, class_weight={0: 1.0, 1: 2.0, 2: 0.5}, verbose=0)
    assert history.epoch == [1, 2]


@probe
def fit_validation_steps(keras):
    x, y = data()
    history = classifier(keras).fit(x, y, validation_data=(x, y), validation_steps=1, validation_batch_size=8,
                                    epochs=1, verbose=0)
    assert "val_accuracy" in history.history


@probe
def fit_from_a_python_generator(keras):
    x, y = data()

    def batches():
        while True:
            for start in range(0, 64, 16):
                yield x[start:start + 16], y[start:start + 16]

    history = classifier(keras).fit(batches(), steps_per_epoch=4, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


@probe
def fit_from_a_py_dataset(keras):
    x, y = data()

    class Batches(keras.utils.PyDataset):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)

        def __len__(self):
            return 4

        def __getitem__(self, index):
            return x[index * 16:(index + 1) * 16], y[index * 16:(index + 1) * 16]

    model = classifier(keras)
    model.fit(Batches(), epochs=1, verbose=0, validation_data=Batches())
    assert model.predict(Batches(), verbose=0).shape == (64, 3)


@probe
def fit_from_a_sequence(keras):
    x, y = data()

    class Batches(keras.utils.Sequence):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return x[index * 16:(index + 1) * 16], y[index * 16:(index + 1) * 16]

    classifier(keras).fit(Batches(), epochs=1, verbose=0)


@probe
def fit_dataset_of_a_dict_of_inputs(keras):
    x, y = data()
    inputs = keras.Input((4,), name="features")
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="out")(inputs))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit({"features": x}, y, epochs=1, verbose=0)


# ------------------------------------------------------------------ compile's arguments
@probe
def compile_jit_steps_per_execution_run_eagerly(keras):
    model = classifier(keras)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=False, steps_per_execution=2, run_eagerly=True)
    model.fit(*data(), epochs=1, verbose=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", jit_compile="auto")


@probe
def compile_weighted_metrics(keras):
    model = classifier(keras)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  weighted_metrics=["accuracy"])
    x, y = data()
    history = model.fit(x, y, sample_weight=np.linspace(0.5, 1.5, 64), epochs=1, verbose=0)
    assert "accuracy" in history.history


@probe
def compile_dict_losses_metrics_weights_for_two_outputs(keras):
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    kind = keras.layers.Dense(3, activation="softmax", name="kind")(hidden)
    size = keras.layers.Dense(1, name="size")(hidden)
    model = keras.Model(inputs, {"kind": kind, "size": size})
    model.compile(optimizer="adam", loss={"kind": "sparse_categorical_crossentropy", "size": "mse"},
                  loss_weights={"kind": 1.0, "size": 0.5}, metrics={"kind": ["accuracy"], "size": ["mae"]})
    x, y = data()
    history = model.fit(x, {"kind": y, "size": x[:, :1]}, epochs=1, verbose=0)
    assert {"kind_accuracy", "size_mae", "loss"} <= set(history.history), sorted(history.history)
    predictions = model.predict(x, verbose=0)
    assert set(predictions) == {"kind", "size"}


# ------------------------------------------------------------------ model methods
@probe
def get_layer_weights_and_summary(keras):
    model = classifier(keras)
    dense = model.get_layer(index=0)
    assert model.get_layer(name=dense.name) is dense
    weights = model.get_weights()
    model.set_weights([w * 0 for w in weights])
    assert all(not w.any() for w in model.get_weights())
    lines = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
    assert any("Total params" in line for line in lines) and model.count_params() == 67


@probe
def evaluate_and_predict_arguments(keras):
    model = classifier(keras)
    x, y = data()
    results = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert set(results) == {"loss", "accuracy"}
    assert model.predict(x, batch_size=16, verbose=0).shape == (64, 3)
    assert model.predict_on_batch(x).shape == (64, 3)


# ------------------------------------------------------------------ layers
@probe
def einsum_dense_as_in_transformer_blocks(keras):
    inputs = keras.Input((6, 8))
    heads = keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 4), bias_axes="de")(inputs)
    merged = keras.layers.EinsumDense("abcd,cde->abe", output_shape=(None, 8), bias_axes="e")(heads)
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling1D()(merged))
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(16, 6, 8)).astype("float32")
    model.fit(x, x[:, 0], epochs=1, verbose=0)
    assert model.predict(x, verbose=0).shape == (16, 8) and model.count_params() == 8 * 8 + 8 + 8 * 8 + 8


@probe
def grouped_convolutions(keras):
    model = keras.Sequential([keras.Input((8, 8, 4)), keras.layers.Conv2D(8, 3, groups=2, padding="same"),
                              keras.layers.Reshape((64, 8)),
                              keras.layers.Conv1D(4, 3, groups=4), keras.layers.GlobalAveragePooling1D()])
    assert [tuple(w.shape) for w in model.get_weights()] == [(3, 3, 2, 8), (8,), (3, 2, 4), (4,)]
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 8, 8, 4)).astype("float32")
    model.fit(x, x[:, 0, 0], epochs=1, verbose=0)


@probe
def alpha_dropout_in_a_selu_network(keras):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="selu",
                                                                    kernel_initializer="lecun_normal"),
                              keras.layers.AlphaDropout(0.2), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(*data(), epochs=1, verbose=0)
    x = data()[0]
    assert np.allclose(np.asarray(model(x, training=False)), model.predict(x, verbose=0), atol=1e-6)


@probe
def group_normalization_and_layer_aliases(keras):
    layers = keras.layers
    model = keras.Sequential([keras.Input((8, 8, 4)), layers.Convolution2D(8, 3, padding="same"),
                              layers.GroupNormalization(groups=4), layers.MaxPool2D(), layers.AvgPool2D(2),
                              layers.SeparableConvolution2D(4, 1), layers.GlobalAvgPool2D()])
    assert layers.MaxPool1D is layers.MaxPooling1D and layers.GlobalMaxPool1D is layers.GlobalMaxPooling1D
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 8, 8, 4)).astype("float32")
    model.fit(x, x[:, 0, 0], epochs=1, verbose=0)


@probe
def category_encoding_of_integer_features(keras):
    ids = np.array([[0, 2], [1, 1], [3, 0]])
    multi_hot = keras.layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot")(ids)
    assert np.array_equal(np.asarray(multi_hot), [[1, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 1]])
    inputs = keras.Input((2,))
    outputs = keras.layers.Dense(1)(keras.layers.CategoryEncoding(4, output_mode="count")(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    model.fit(ids.astype("float32"), np.ones(3), epochs=1, verbose=0)


@probe
def string_and_integer_lookup_on_arrays(keras):
    lookup = keras.layers.StringLookup()
    lookup.adapt(np.array([["a", "b"], ["b", "c"]]))
    assert lookup.get_vocabulary() == ["[UNK]", "b", "c", "a"]
    assert np.array_equal(np.asarray(lookup(np.array([["a", "z"]]))), [[3, 0]])
    ids = keras.layers.IntegerLookup(vocabulary=[7, 9], output_mode="multi_hot")(np.array([[9, 5]]))
    assert np.array_equal(np.asarray(ids), [[1, 0, 1]])


@probe
def text_vectorization_on_arrays(keras):
    vectorize = keras.layers.TextVectorization(max_tokens=10, output_sequence_length=4)
    vectorize.adapt(np.array(["the cat sat", "the dog sat down"]))
    assert np.array_equal(np.asarray(vectorize(np.array(["The cat!"]))), [[2, 6, 0, 0]])


@probe
def hashing_layer(keras):  # not in minidl yet: Keras hashes with FarmHash64
    assert np.asarray(keras.layers.Hashing(num_bins=3)(np.array([["a"], ["b"]]))).shape == (2, 1)


@probe
def ops_image_patches_and_resize(keras):
    images = np.ones((1, 4, 4, 3), "float32")
    assert tuple(keras.ops.image.extract_patches(images, 2).shape) == (1, 2, 2, 12)
    assert tuple(keras.ops.image.resize(images, (8, 8)).shape) == (1, 8, 8, 3)


@probe
def ops_nn_namespace(keras):
    assert tuple(keras.ops.nn.one_hot(np.array([1]), 3).shape) == (1, 3)
    assert np.allclose(np.asarray(keras.ops.nn.gelu(np.array([1.0]))), np.asarray(keras.ops.gelu(np.array([1.0]))))


# ------------------------------------------------------------------ utils, backend, config
@probe
def utils_to_categorical_normalize_seed(keras):
    assert np.array_equal(keras.utils.to_categorical([0, 2], num_classes=3), [[1, 0, 0], [0, 0, 1]])
    normalized = keras.utils.normalize(np.array([[3.0, 4.0]]), axis=-1, order=2)
    assert np.allclose(np.asarray(normalized), [[0.6, 0.8]])
    keras.utils.set_random_seed(1)


@probe
def utils_split_dataset(keras):
    x, y = data(10)
    left, right = keras.utils.split_dataset((x, y), left_size=0.8, shuffle=False)
    assert len(list(left)) == 8 and len(list(right)) == 2


@probe
def backend_and_config_helpers(keras):
    assert keras.backend.floatx() == "float32" and keras.config.floatx() == "float32"
    assert keras.backend.epsilon() == keras.config.epsilon() == 1e-7
    keras.backend.clear_session()
    keras.utils.clear_session()
    keras.config.set_floatx("float32")
    keras.backend.set_floatx("float32")
    assert keras.backend.image_data_format() == keras.config.image_data_format() == "channels_last"
    assert isinstance(keras.backend.backend(), str) and isinstance(keras.config.backend(), str)


@probe
def backend_int_shape_and_ops_conversions(keras):
    x = keras.ops.convert_to_tensor(np.ones((2, 3)))
    assert tuple(keras.ops.shape(x)) == (2, 3)
    assert keras.ops.convert_to_numpy(keras.ops.cast(x, "int32")).dtype == np.int32


# names of keras.ops that are numpy-like and commonly used (the probe also lists every missing one)
COMMON_OPS = """abs absolute add all any arange arccos arcsin arctan arctan2 argmax argmin argsort array average
broadcast_to cast ceil clip concatenate convert_to_numpy convert_to_tensor cos cosh count_nonzero cumprod cumsum
diag diagonal divide dot einsum equal exp expand_dims eye flip floor full full_like greater greater_equal identity
isfinite isinf isnan less less_equal linspace log log1p log2 log10 logical_and logical_not logical_or logsumexp
matmul max maximum mean min minimum mod moveaxis multiply negative not_equal one_hot ones ones_like outer pad power
prod quantile relu repeat reshape round sigmoid sign sin sinh softmax softplus sort split sqrt square squeeze stack
std stop_gradient subtract sum swapaxes take take_along_axis tan tanh tile top_k trace transpose tril triu
true_divide unstack var vstack hstack where zeros zeros_like norm log_softmax erf floor_divide median
gelu silu swish elu selu leaky_relu relu6 softsign hard_sigmoid hard_silu log_sigmoid rsqrt moments amax amin
ndim size ravel roll tensordot is_tensor
""".split()


@probe
def ops_common_names(keras):
    missing = [name for name in COMMON_OPS if not hasattr(keras.ops, name)]
    assert not missing, "missing: " + " ".join(missing)


def run(backend: str) -> list[tuple[str, str]]:
    if backend == "minidl":
        sys.path.insert(0, str(HERE))
        from corpus_runner import REPOSITORY, KerasToMinidl

        sys.path.insert(0, str(REPOSITORY))
        sys.meta_path.insert(0, KerasToMinidl())
    import keras

    failures = []
    for check in PROBES:
        try:
            check(keras)
        except Exception as error:  # noqa: BLE001 - a probe reports whatever stopped it
            where = traceback.extract_tb(error.__traceback__)[-1]
            failures.append((check.__name__, f"{type(error).__name__}: {str(error)[:160]} "
                                             f"({Path(where.filename).name}:{where.lineno})"))
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["keras", "minidl"], default="minidl")
    arguments = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    failures = run(arguments.backend)
    for name, why in failures:
        print(f"FAIL {name}: {why}")
    print(f"{len(PROBES) - len(failures)} of {len(PROBES)} probes pass on {arguments.backend}")
    return len(failures)


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
