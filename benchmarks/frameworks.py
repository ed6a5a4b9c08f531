"""One implementation of each workload per framework: minidl, Keras (TensorFlow backend), PyTorch.

Each function returns a dict of measurements and runs in a child process
started by ``benchmarks.run``, so that only one framework is imported there.
"""

from __future__ import annotations

import numpy

from benchmarks import workloads as W

PREDICT_BATCH = 1000


# ---------------------------------------------------------------------------------------------- minidl
def minidl_models(kind: str, shape: tuple | None = None):
    import minidl
    from minidl.layers import BatchNormalization, Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D

    minidl.random.seed(0)
    if kind in W.FAMILY:
        from minidl import functional as F

        model = family_model(minidl.layers, minidl.Model, lambda t: F.mean(t, axis=1), kind)
        model.compile(optimizer=minidl.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model
    if kind in W.PRESETS:  # the network genomics train builds, its input in the layout it takes
        from genomics.learning import networks as models

        model = models.build(W.PRESETS[kind][0], shape, W.PRESET["classes"])
        model.compile(optimizer=minidl.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model
    if kind == "mlp":
        layers = [Input((784,)), Dense(100, activation="relu"), Dropout(0.3), Dense(10, activation="softmax")]
    elif kind in ("perez", "perez_small"):
        from minidl.layers import AveragePooling1D, Conv1D

        layers = [Input(shape), Conv1D(250, 2, activation="relu"), Conv1D(125, 2, activation="relu"),
                  AveragePooling1D(2), Dropout(0.75), Conv1D(125, 2, activation="relu"), AveragePooling1D(2),
                  Dropout(0.75), Flatten(), Dense(125, activation="relu"), Dropout(0.5),
                  Dense(125, activation="relu"), Dropout(0.5), Dense(W.PEREZ["classes"], activation="softmax")]
    else:
        layers = [Input(shape), Conv2D(32, 3, activation="relu"), MaxPooling2D(2), Conv2D(64, 3, activation="relu"),
                  MaxPooling2D(2), BatchNormalization(), Flatten(), Dense(64, activation="relu"), Dropout(0.5),
                  Dense(3, activation="softmax")]
    model = minidl.Sequential(layers)
    model.compile(optimizer=minidl.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def family_model(L, Model, mean_over_haplotypes, kind: str):
    """A family workload's network (``W.FAMILY``) written once with Keras's layer API: ``L`` is ``keras.layers`` or
    ``minidl.layers``, ``Model`` the functional model class, ``mean_over_haplotypes`` a function of a Tensor."""
    spec = W.FAMILY[kind]
    inputs = L.Input(spec["shape"])

    def conv_bn_relu(x, filters, size=3, rank=2):
        conv = L.Conv2D if rank == 2 else L.Conv1D
        return L.ReLU()(L.BatchNormalization()(conv(filters, size, padding="same")(x)))

    if kind == "cifar_bn":  # [Conv2D 3x3 same -> BN -> ReLU] x 2 -> max pooling, twice; global average pooling
        x = inputs
        for filters in (32, 64):
            x = L.MaxPooling2D(2)(conv_bn_relu(conv_bn_relu(x, filters), filters))
        x = L.GlobalAveragePooling2D()(x)
    elif kind == "resnet_block":  # a stem, then one residual block: two convolutions beside the identity, Add, ReLU
        stem = conv_bn_relu(inputs, 32)
        branch = L.BatchNormalization()(L.Conv2D(32, 3, padding="same")(conv_bn_relu(stem, 32)))
        x = L.GlobalAveragePooling2D()(L.ReLU()(L.Add()([stem, branch])))
    elif kind == "conv1d_bn":  # [Conv1D 5 same -> BN -> ReLU -> max pooling 2] x 3, global average pooling
        x = inputs
        for filters in (64, 64, 64):
            x = L.MaxPooling1D(2)(conv_bn_relu(x, filters, 5, rank=1))
        x = L.GlobalAveragePooling1D()(x)
    elif kind == "pggan":  # pg-gan's discriminator: (1, 5) convolutions along each haplotype, mean over haplotypes
        x = L.MaxPooling2D((1, 2))(L.Conv2D(32, (1, 5), activation="relu")(inputs))
        x = L.MaxPooling2D((1, 2))(L.Conv2D(64, (1, 5), activation="relu")(x))
        x = L.Flatten()(L.Lambda(mean_over_haplotypes)(x))
        x = L.Dropout(0.5)(L.Dense(128, activation="relu")(x))
        x = L.Dropout(0.5)(L.Dense(128, activation="relu")(x))
    else:  # mlp_bn: [Dense 256 -> BN -> ReLU] x 2
        x = inputs
        for _ in range(2):
            x = L.ReLU()(L.BatchNormalization()(L.Dense(256)(x)))
    return Model(inputs, L.Dense(spec["classes"], activation="softmax")(x))


def _time_keras_style(model, kind: str, size: dict) -> dict:
    """Seconds per epoch of ``model.fit`` and predictions per second of ``model.predict`` (Keras's API)."""
    x, y = _data(kind, size)
    batch = {"mlp": W.MLP["batch_size"], "cnn": W.CNN["batch_size"],
             **{name: W.PRESET["batch_size"] for name in W.PRESETS},
             **{name: spec["batch_size"] for name, spec in W.FAMILY.items()}}.get(kind, W.PEREZ["batch_size"])
    seconds, times = W.median_seconds(lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0))
    sample = x[: size["predict_samples"]]
    predict_seconds, _ = W.median_seconds(lambda: model.predict(sample, batch_size=PREDICT_BATCH, verbose=0))
    return {"epoch_seconds": seconds, "epoch_times": times, "predict_per_second": len(sample) / predict_seconds}


def minidl_train(kind: str, size: dict, device: str = "cpu") -> dict:
    model = minidl_models(kind, _shape(kind, size)).to(device)  # fit and predict move each batch there
    return _time_keras_style(model, kind, size)


def minidl_first_call_seconds() -> float:
    """Seconds for the first call of every numba kernel in a fresh process (compiled, or loaded from the disk cache)."""
    import time
    import types

    from minidl.kernels import conv, elementwise, normalization, optimizers, pooling, winograd

    # the compiled loops themselves, not the dispatchers
    kernels = types.SimpleNamespace(**{name: value for module in (conv, pooling, optimizers, elementwise, normalization,
                                                                  winograd)
                                       for name, value in vars(module).items() if not name.startswith("_")})

    start = time.perf_counter()
    for dtype in (numpy.float32, numpy.float64):
        x = numpy.ones((1, 4, 4, 2), dtype)
        pads = ((0, 1), (0, 1))
        cols = kernels.im2col(x, (2, 2), (1, 1), (1, 1), pads, (4, 4))
        kernels.col2im(cols, x.shape, (1, 1), (1, 1), pads)
        y, argmax = kernels.max_pool2d_forward(x, (2, 2), (2, 2), pads, (2, 2))
        kernels.max_pool2d_backward(y, argmax, x.shape, (2, 2), (2, 2), pads)
        kernels.avg_pool2d_backward(kernels.avg_pool2d_forward(x, (2, 2), (2, 2), pads, (2, 2)), x.shape, (2, 2),
                                    (2, 2), pads)
        w = numpy.ones(3, dtype)
        kernels.adam_update(w, w.copy(), w.copy(), w.copy(), None, 0.1, 0.9, 0.999, 1e-7)
        kernels.adam_update(w, w.copy(), w.copy(), w.copy(), w.copy(), 0.1, 0.9, 0.999, 1e-7)
        kernels.momentum_update(w, w.copy(), w.copy(), 0.1, 0.9, False)
        kernels.rmsprop_update(w, w.copy(), w.copy() + 1, None, None, 0.1, 0.9, 0.0, 1e-7)
        y = kernels.relu_forward(x)
        for backward in (kernels.relu_backward, kernels.sigmoid_backward, kernels.tanh_backward):
            backward(x, y)
        kernels.channel_sums(x)
        mean, variance = kernels.batch_norm_statistics(x)
        x_hat, y = kernels.batch_norm_forward(x, mean, variance, mean, variance)
        kernels.batch_norm_backward(y, x_hat, mean, variance, True)
        same = ((1, 1), (1, 1))
        v = kernels.winograd_input_tiles(x, same, (2, 2))
        kernels.winograd_input_gradient(v, x.shape, same, (2, 2))
        kernels.winograd_output_gradient_tiles(kernels.winograd_output(v, (4, 4), (2, 2)), (2, 2))
        row, bt, at = x[:, 0], numpy.ones((8, 8), dtype), numpy.ones((4, 8), dtype)  # F(4, 5)'s shapes
        v = kernels.winograd1d_input_tiles(row, 2, bt, 4, 1)
        kernels.winograd1d_input_gradient(v, bt, row.shape, 2, 4, 1)
        kernels.winograd1d_output_gradient_tiles(kernels.winograd1d_output(v, at, 4, 1), at)
    return time.perf_counter() - start


def minidl_layers(size: dict) -> dict:
    import minidl
    from minidl import Tensor
    from minidl import functional as F

    generator = numpy.random.default_rng(0)
    results = {"kernels_first_call_seconds": minidl_first_call_seconds(), "kernels": minidl.kernels.in_use()}
    x = Tensor(generator.random((256, 1024), dtype=numpy.float32), requires_grad=True)
    w = Tensor(generator.random((1024, 1024), dtype=numpy.float32) - 0.5, requires_grad=True)
    b = Tensor(numpy.zeros(1024, numpy.float32), requires_grad=True)
    gy = numpy.ones((256, 1024), numpy.float32)

    def dense():  # one training step's forward and backward: gradients start from None, as in fit
        x.grad = w.grad = b.grad = None
        F.linear(x, w, b).backward(gy)

    seconds, _ = W.median_seconds(dense, repeats=20, warmup=5)
    results["dense_256x1024x1024_gflops"] = 3 * 2 * 256 * 1024 * 1024 / seconds / 1e9
    batch = 32 if size is W.SIZES["full"] else 4
    images = Tensor(generator.random((batch, 40, 128, 32), dtype=numpy.float32), requires_grad=True)
    kernel = Tensor(generator.random((3, 3, 32, 64), dtype=numpy.float32) - 0.5, requires_grad=True)
    gy_conv = numpy.ones((batch, 40, 128, 64), numpy.float32)

    def conv():
        images.grad = kernel.grad = None
        F.conv2d(images, kernel, padding="same").backward(gy_conv)

    seconds, _ = W.median_seconds(conv, repeats=5)
    results["conv2d_3x3_32to64_gflops"] = 3 * 2 * batch * 40 * 128 * 9 * 32 * 64 / seconds / 1e9
    pool_input = Tensor(generator.random((batch, 38, 126, 32), dtype=numpy.float32), requires_grad=True)
    gy_pool = numpy.ones((batch, 19, 63, 32), numpy.float32)

    def pool():
        pool_input.grad = None
        F.max_pool2d(pool_input, 2).backward(gy_pool)

    seconds, _ = W.median_seconds(pool, repeats=5)
    results["maxpool2d_forward_backward_melements_per_s"] = pool_input.size / seconds / 1e6
    return results


def minidl_mnist(data_dir: str, epochs: int, weights: str | None) -> dict:
    x_train, y_train, x_test, y_test = _mnist(data_dir)
    model = minidl_models("mlp")
    if weights:
        with numpy.load(weights) as archive:
            model.set_weights([archive[f"w{i}"] for i in range(len(archive.files))])
    model.fit(x_train, y_train, batch_size=100, epochs=epochs, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    return {"test_accuracy": accuracy, "same_initial_weights": bool(weights)}


# ---------------------------------------------------------------------------------------------- Keras
def keras_models(kind: str, shape: tuple | None = None):
    import keras

    keras.utils.set_random_seed(0)
    L = keras.layers
    if kind in W.FAMILY:
        model = family_model(L, keras.Model, lambda t: keras.ops.mean(t, axis=1), kind)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model
    if kind == "preset_cnn1d":  # genomics.learning.networks' cnn1d on images folded to (snps, haplotypes x channels)
        rows, columns, channels = shape
        layers = [keras.Input((columns, rows * channels)), L.Conv1D(64, 5, activation="relu"), L.AveragePooling1D(2),
                  L.Conv1D(64, 5, activation="relu"), L.AveragePooling1D(2), L.Flatten(),
                  L.Dense(64, activation="relu"), L.Dropout(0.5), L.Dense(W.PRESET["classes"]),
                  L.Activation("softmax")]
    elif kind in W.PRESETS:  # cnn2d
        layers = [keras.Input(shape), L.Conv2D(16, 3, activation="relu"), L.MaxPooling2D(2),
                  L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(), L.Dense(64, activation="relu"),
                  L.Dropout(0.5), L.Dense(W.PRESET["classes"]), L.Activation("softmax")]
    elif kind == "mlp":
        layers = [keras.Input((784,)), L.Dense(100, activation="relu"), L.Dropout(0.3), L.Dense(10, activation="softmax")]
    elif kind in ("perez", "perez_small"):
        layers = [keras.Input(shape), L.Conv1D(250, 2, activation="relu"), L.Conv1D(125, 2, activation="relu"),
                  L.AveragePooling1D(2), L.Dropout(0.75), L.Conv1D(125, 2, activation="relu"), L.AveragePooling1D(2),
                  L.Dropout(0.75), L.Flatten(), L.Dense(125, activation="relu"), L.Dropout(0.5),
                  L.Dense(125, activation="relu"), L.Dropout(0.5), L.Dense(W.PEREZ["classes"], activation="softmax")]
    else:
        layers = [keras.Input(shape), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
                  L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.BatchNormalization(), L.Flatten(),
                  L.Dense(64, activation="relu"), L.Dropout(0.5), L.Dense(3, activation="softmax")]
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def keras_train(kind: str, size: dict) -> dict:
    return _time_keras_style(keras_models(kind, _shape(kind, size)), kind, size)


def keras_mnist(data_dir: str, epochs: int, weights_out: str | None) -> dict:
    x_train, y_train, x_test, y_test = _mnist(data_dir)
    model = keras_models("mlp")
    if weights_out:
        numpy.savez(weights_out, **{f"w{i}": w for i, w in enumerate(model.get_weights())})
    model.fit(x_train, y_train, batch_size=100, epochs=epochs, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    return {"test_accuracy": float(accuracy)}


# ---------------------------------------------------------------------------------------------- PyTorch
def torch_train(kind: str, size: dict, device: str = "cpu") -> dict:
    import torch
    from torch import nn

    where = "cuda" if device == "gpu" else "cpu"
    if where == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("this PyTorch build sees no CUDA device")

    torch.manual_seed(0)
    x, y = _data(kind, size)
    if kind in W.FAMILY:
        model = _torch_family_model(kind)
        inputs = torch.from_numpy(x if x.ndim == 2 else numpy.ascontiguousarray(numpy.moveaxis(x, -1, 1)))
        batch = W.FAMILY[kind]["batch_size"]
    elif kind == "mlp":
        model = nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Dropout(0.3), nn.Linear(100, 10))
        inputs = torch.from_numpy(x)
        batch = W.MLP["batch_size"]
    elif kind in ("perez", "perez_small"):
        snps, haplotypes = size[f"{kind}_shape"]
        flat = 125 * (((snps - 2) // 2 - 1) // 2)
        model = nn.Sequential(
            nn.Conv1d(haplotypes, 250, 2), nn.ReLU(), nn.Conv1d(250, 125, 2), nn.ReLU(), nn.AvgPool1d(2),
            nn.Dropout(0.75), nn.Conv1d(125, 125, 2), nn.ReLU(), nn.AvgPool1d(2), nn.Dropout(0.75), nn.Flatten(),
            nn.Linear(flat, 125), nn.ReLU(), nn.Dropout(0.5), nn.Linear(125, 125), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(125, W.PEREZ["classes"]))
        inputs = torch.from_numpy(numpy.ascontiguousarray(x.transpose(0, 2, 1)))  # channels-first
        batch = W.PEREZ["batch_size"]
    elif kind == "preset_cnn1d":
        rows, columns, channels = size[f"{kind}_shape"]
        flat = 64 * (((columns - 4) // 2 - 4) // 2)
        model = nn.Sequential(
            nn.Conv1d(rows * channels, 64, 5), nn.ReLU(), nn.AvgPool1d(2), nn.Conv1d(64, 64, 5), nn.ReLU(),
            nn.AvgPool1d(2), nn.Flatten(), nn.Linear(flat, 64), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(64, W.PRESET["classes"]))
        inputs = torch.from_numpy(numpy.ascontiguousarray(x.transpose(0, 2, 1)))  # (replicates, channels, snps)
        batch = W.PRESET["batch_size"]
    elif kind in W.PRESETS:
        height, width, channels = size[f"{kind}_shape"]
        flat = 32 * ((((height - 2) // 2) - 2) // 2) * ((((width - 2) // 2) - 2) // 2)
        model = nn.Sequential(
            nn.Conv2d(channels, 16, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(flat, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, W.PRESET["classes"]))
        inputs = torch.from_numpy(numpy.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        batch = W.PRESET["batch_size"]
    else:
        height, width, _ = size["cnn_shape"]
        flat = 64 * ((((height - 2) // 2) - 2) // 2) * ((((width - 2) // 2) - 2) // 2)
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.BatchNorm2d(64, eps=1e-3, momentum=0.01), nn.Flatten(), nn.Linear(flat, 64), nn.ReLU(),
            nn.Dropout(0.5), nn.Linear(64, 3))
        inputs = torch.from_numpy(numpy.ascontiguousarray(x.transpose(0, 3, 1, 2)))  # PyTorch is channels-first
        batch = W.CNN["batch_size"]
    labels = torch.from_numpy(y)
    model.to(where)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)

    def finish():  # GPU work is asynchronous: a timing ends when the device is done
        if where == "cuda":
            torch.cuda.synchronize()
    loss_function = nn.CrossEntropyLoss()  # softmax folded into the loss, the usual PyTorch idiom

    def epoch():
        model.train()
        order = torch.randperm(len(inputs))
        for start in range(0, len(inputs), batch):
            index = order[start : start + batch]
            optimizer.zero_grad()
            loss = loss_function(model(inputs[index].to(where)), labels[index].to(where))
            loss.backward()
            optimizer.step()
        finish()

    seconds, times = W.median_seconds(epoch)
    sample = inputs[: size["predict_samples"]]

    def predict():
        model.eval()
        with torch.no_grad():
            return torch.cat([torch.softmax(model(sample[i : i + PREDICT_BATCH].to(where)), 1).cpu()
                              for i in range(0, len(sample), PREDICT_BATCH)])

    predict_seconds, _ = W.median_seconds(predict)
    return {"epoch_seconds": seconds, "epoch_times": times, "predict_per_second": len(sample) / predict_seconds,
            "threads": torch.get_num_threads()}


def _torch_family_model(kind: str):
    """``family_model``'s networks in PyTorch (channels-first; BatchNorm with Keras's epsilon and momentum)."""
    from torch import nn

    def conv_bn_relu(channels_in, filters, size=3, rank=2):
        conv, norm = (nn.Conv2d, nn.BatchNorm2d) if rank == 2 else (nn.Conv1d, nn.BatchNorm1d)
        return [conv(channels_in, filters, size, padding="same"), norm(filters, eps=1e-3, momentum=0.01), nn.ReLU()]

    spec = W.FAMILY[kind]
    if kind == "cifar_bn":
        return nn.Sequential(*conv_bn_relu(3, 32), *conv_bn_relu(32, 32), nn.MaxPool2d(2), *conv_bn_relu(32, 64),
                             *conv_bn_relu(64, 64), nn.MaxPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                             nn.Linear(64, spec["classes"]))
    if kind == "conv1d_bn":
        return nn.Sequential(*conv_bn_relu(16, 64, 5, 1), nn.MaxPool1d(2), *conv_bn_relu(64, 64, 5, 1), nn.MaxPool1d(2),
                             *conv_bn_relu(64, 64, 5, 1), nn.MaxPool1d(2), nn.AdaptiveAvgPool1d(1), nn.Flatten(),
                             nn.Linear(64, spec["classes"]))
    if kind == "mlp_bn":
        return nn.Sequential(nn.Linear(784, 256), nn.BatchNorm1d(256, eps=1e-3, momentum=0.01), nn.ReLU(),
                             nn.Linear(256, 256), nn.BatchNorm1d(256, eps=1e-3, momentum=0.01), nn.ReLU(),
                             nn.Linear(256, spec["classes"]))

    class ResidualBlock(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(*conv_bn_relu(3, 32))
            self.branch = nn.Sequential(*conv_bn_relu(32, 32), nn.Conv2d(32, 32, 3, padding="same"),
                                        nn.BatchNorm2d(32, eps=1e-3, momentum=0.01))
            self.head = nn.Sequential(nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, spec["classes"]))

        def forward(self, x):
            stem = self.stem(x)
            return self.head(stem + self.branch(stem))

    class PgganDiscriminator(nn.Module):  # input (batch, channels, haplotypes, snps)
        def __init__(self):
            super().__init__()
            width = ((spec["shape"][1] - 4) // 2 - 4) // 2
            self.convolutions = nn.Sequential(nn.Conv2d(spec["shape"][2], 32, (1, 5)), nn.ReLU(), nn.MaxPool2d((1, 2)),
                                              nn.Conv2d(32, 64, (1, 5)), nn.ReLU(), nn.MaxPool2d((1, 2)))
            self.dense = nn.Sequential(nn.Flatten(), nn.Linear(64 * width, 128), nn.ReLU(), nn.Dropout(0.5),
                                       nn.Linear(128, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, spec["classes"]))

        def forward(self, x):
            return self.dense(self.convolutions(x).mean(dim=2))  # the mean over the haplotypes

    return ResidualBlock() if kind == "resnet_block" else PgganDiscriminator()


# ---------------------------------------------------------------------------------------------- shared
def gpu_check(framework: str) -> dict:
    """{} when ``framework`` can train on the GPU here; raises with the reason otherwise."""
    if framework == "minidl":
        from minidl import backend

        reason = backend.gpu_unavailable_reason()
    elif framework == "torch":
        import torch

        reason = "" if torch.cuda.is_available() else "this PyTorch build sees no CUDA device"
    else:
        reason = "the benchmark runs Keras on the CPU only (tensorflow-cpu)"
    if reason:
        raise RuntimeError(reason)
    return {}



def _data(kind: str, size: dict) -> tuple:
    if kind in W.FAMILY:
        return W.family_data(kind, size)
    if kind == "mlp":
        return W.mlp_data(size["mlp_samples"])
    if kind in ("perez", "perez_small"):
        return W.perez_data(size[f"{kind}_samples"], size[f"{kind}_shape"])
    if kind in W.PRESETS:
        x, y = W.preset_data(kind, size)
        if kind == "preset_cnn1d":  # genomics.learning.networks.model_input: (replicates, snps, haplotypes x channels)
            x = numpy.ascontiguousarray(x.transpose(0, 2, 1, 3).reshape(len(x), x.shape[2], -1))
        return x, y
    return W.cnn_data(size["cnn_samples"], size["cnn_shape"])


def _shape(kind: str, size: dict) -> tuple | None:
    """The input shape of a workload's network (None for the MLP, whose input is fixed)."""
    return {"cnn": size["cnn_shape"], "perez": size["perez_shape"], "perez_small": size["perez_small_shape"],
            **{name: size[f"{name}_shape"] for name in (*W.PRESETS, *W.FAMILY)}}.get(kind)


def _mnist(data_dir: str) -> tuple:
    from minidl.datasets import load_mnist

    images, labels = load_mnist(data_dir)
    x = images.reshape(len(images), -1).astype(numpy.float32) / 255.0
    return x[:8000], labels[:8000], x[8000:], labels[8000:]
