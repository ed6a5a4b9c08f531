"""Sequential: a stack of layers with Keras's model API (compile, fit, evaluate, predict, summary, save).

The training step, written out (``train_on_batch``)::

    y_pred = model(x, training=True)
    loss = loss_fn(y, y_pred, sample_weight) + sum(layer penalties)
    loss.backward()                                        # dL/dw into every weight's .grad
    optimizer.apply_gradients((w.grad, w) for w in model.trainable_weights)
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable
from typing import Any

import numpy

from minidl import backend
from minidl import losses as losses_module
from minidl import metrics as metrics_module
from minidl import optimizers as optimizers_module
from minidl import random as minidl_random
from minidl import saving
from minidl.callbacks import Callback, History
from minidl.function import no_grad
from minidl.layers import InputLayer, Layer, deserialize, serialize
from minidl.progbar import ProgressBar, format_logs
from minidl.registry import snake_case
from minidl.tensor import Tensor


class Sequential:
    """A linear stack of layers: ``Sequential([Input((784,)), Dense(100, activation="relu"), ...])``."""

    def __init__(self, layers: Iterable[Layer] | None = None, name: str | None = None) -> None:
        self.name = name or "sequential"
        self._layers: list[Layer] = []
        self.input_shape: tuple | None = None
        self.output_shapes: list[tuple] = []
        self.built = False
        self.optimizer: optimizers_module.Optimizer | None = None
        self.loss: Any = None
        self.metric_functions: list[tuple[str, Any]] = []
        self._compile_args: dict | None = None
        self.stop_training = False
        self._device: str | None = None
        for layer in layers or []:
            self.add(layer)

    # ----------------------------------------------------------------- structure
    def add(self, layer: Layer) -> None:
        """Append a layer (or set the input shape with an ``Input``); builds as soon as shapes are known."""
        if isinstance(layer, InputLayer):
            if self._layers or self.input_shape is not None:
                raise ValueError(f"model {self.name!r}: Input must come first and only once")
            self.input_shape = layer.shape
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"model {self.name!r}: can only add layers, got {type(layer).__name__}")
        if self._device is not None:
            layer.to(self._device)
        taken = {existing.name for existing in self._layers}
        if layer.name is None:
            layer.name = _unique_name(snake_case(type(layer).__name__), taken)
        elif layer.name in taken:
            raise ValueError(f"model {self.name!r} already has a layer named {layer.name!r}")
        if not self._layers and self.input_shape is None and layer.input_shape is not None:
            self.input_shape = layer.input_shape
        self._layers.append(layer)
        if self.input_shape is not None:
            self.build(self.input_shape)

    def build(self, input_shape: tuple) -> None:
        """Build every layer for one sample of ``input_shape``; shape errors name the layer."""
        shape = tuple(input_shape)
        self.input_shape = shape
        self.output_shapes = []
        for layer in self._layers:
            shape = layer.ensure_built(shape)
            self.output_shapes.append(shape)
        self.built = True
        if self.optimizer is not None:
            self.optimizer.build(self.trainable_weights)

    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        if (name is None) == (index is None):
            raise ValueError("get_layer: give exactly one of name= or index=")
        if index is not None:
            if not -len(self._layers) <= index < len(self._layers):
                raise ValueError(f"get_layer: index {index} is out of range for {len(self._layers)} layers")
            return self._layers[index]
        for layer in self._layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; the layers are: {', '.join(l.name for l in self._layers)}")

    def truncated(self, at: str | int) -> "Sequential":
        """A model of this model's layers up to and including ``at`` (a name or an index).

        The layers are shared, not copied: ``model.truncated("hidden").predict(x)``
        reads the hidden activations of the trained model.
        """
        last = self._layers.index(self.get_layer(name=at) if isinstance(at, str) else self.get_layer(index=at))
        model = Sequential(name=f"{self.name}_to_{self._layers[last].name}")
        model.input_shape = self.input_shape
        model._layers = self._layers[: last + 1]
        if self.built:
            model.build(self.input_shape)
        return model

    def __call__(self, x: Any, training: bool | None = None) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x, dtype=self.dtype)
        if not self.built:
            self.build(x.shape[1:])
        for layer in self._layers:
            x = layer(x, training=training)
        return x

    # ----------------------------------------------------------------- devices
    def to(self, device: str) -> "Sequential":
        """Move the model to ``device`` ("cpu" or "gpu") in place: weights, gradients, optimizer state.

        Layers built or added later are built there too; fit, evaluate and
        predict move each batch of (numpy) data to the model's device and
        return numpy results.
        """
        self._device = backend.check_device(device)
        for layer in self._layers:
            layer.to(self._device)
        if self.optimizer is not None:
            self.optimizer.to(self._device)
        return self

    @property
    def device(self) -> str:
        """Where the weights live ("cpu" or "gpu")."""
        for layer in self._layers:
            for weight in layer.weights:
                return weight.device
        return self._device or backend.default_device()

    def train(self, mode: bool = True) -> "Sequential":
        """Default mode for calls without ``training=``: True enables dropout and batch statistics."""
        for layer in self._layers:
            layer.train(mode)
        return self

    def eval(self) -> "Sequential":
        return self.train(False)

    @property
    def dtype(self) -> Any:
        return self._layers[0].dtype if self._layers else numpy.dtype("float32")

    # ----------------------------------------------------------------- weights
    @property
    def weights(self) -> list[Tensor]:
        return [w for layer in self._layers for w in layer.weights]

    @property
    def trainable_weights(self) -> list[Tensor]:
        return [w for layer in self._layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list[Tensor]:
        return [w for layer in self._layers for w in layer.non_trainable_weights]

    @property
    def losses(self) -> list[Tensor]:
        return [penalty for layer in self._layers for penalty in layer.losses]

    def get_weights(self) -> list[numpy.ndarray]:
        return [array for layer in self._layers for array in layer.get_weights()]

    def set_weights(self, values: list) -> None:
        """Set every weight, in ``get_weights`` order (Keras's, so Keras weights load as they are)."""
        self._require_built("set_weights")
        values = list(values)
        expected = sum(len(layer.weights) for layer in self._layers)
        if len(values) != expected:
            raise ValueError(f"model {self.name!r} has {expected} weight arrays, got {len(values)}")
        position = 0
        for layer in self._layers:
            count = len(layer.weights)
            layer.set_weights(values[position : position + count])
            position += count

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self._layers)

    def summary(self, print_fn: Any = print) -> str:
        """Print (and return) the table of layers, output shapes and parameter counts."""
        self._require_built("summary")
        rows = [(f"{layer.name} ({type(layer).__name__})", str((None,) + tuple(shape)), f"{layer.count_params():,}")
                for layer, shape in zip(self._layers, self.output_shapes)]
        header = ("Layer (type)", "Output Shape", "Param #")
        widths = [max(len(row[i]) for row in rows + [header]) + 2 for i in range(3)]
        rule = "-" * sum(widths)
        line = lambda row: row[0].ljust(widths[0]) + row[1].ljust(widths[1]) + row[2].rjust(widths[2])  # noqa: E731
        trainable = sum(w.size for w in self.trainable_weights)
        total = self.count_params()
        text = "\n".join([
            f'Model: "{self.name}"', rule, line(header), "=" * sum(widths), *map(line, rows), "=" * sum(widths),
            f"Total params: {total:,}", f"Trainable params: {trainable:,}",
            f"Non-trainable params: {total - trainable:,}", rule,
        ])
        print_fn(text)
        return text

    # ----------------------------------------------------------------- training
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: list | None = None) -> None:
        """Choose the optimizer, the loss and the metrics (Keras names, objects or callables)."""
        if loss is None:
            raise ValueError(f"compile: give a loss, e.g. one of {', '.join(sorted(losses_module.ALL))}")
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = losses_module.get(loss)
        loss_name = losses_module.name_of(self.loss)
        self.metric_functions = [metrics_module.get(metric, loss_name) for metric in metrics or []]
        self._compile_args = {"optimizer": self.optimizer, "loss": self.loss, "metrics": list(metrics or [])}
        if self.built:
            self.optimizer.build(self.trainable_weights)

    def _batch_logs(self, y: Any, y_pred: Tensor, loss: Tensor) -> dict:
        logs = {"loss": float(loss.item())}
        for name, function in self.metric_functions:
            logs[name] = float(function(y, y_pred.data))
        return logs

    def _compute_loss(self, x: Any, y: Any, sample_weight: Any, training: bool) -> tuple[Tensor, Tensor]:
        y_pred = self(Tensor(backend.to_device(x, self.device), dtype=self.dtype), training=training)
        loss = losses_module.call_loss(self.loss, y, y_pred, sample_weight)  # losses take targets to y_pred's device
        for penalty in self.losses:
            loss = loss + penalty
        return y_pred, loss

    def train_on_batch(self, x: Any, y: Any, sample_weight: Any = None, class_weight: dict | None = None,
                       return_dict: bool = False) -> Any:
        """One gradient update on one batch; returns the batch's loss (and metrics)."""
        self._require_compiled("train_on_batch")
        sample_weight = _combined_weights(y, sample_weight, class_weight)
        y_pred, loss = self._compute_loss(x, y, sample_weight, training=True)
        weights = self.trainable_weights
        for w in weights:
            w.grad = None
        loss.backward()
        self.optimizer.apply_gradients((w.grad, w) for w in weights)
        return _results(self._batch_logs(y, y_pred, loss), return_dict)

    def test_on_batch(self, x: Any, y: Any, sample_weight: Any = None, return_dict: bool = False) -> Any:
        self._require_compiled("test_on_batch")
        with no_grad():
            y_pred, loss = self._compute_loss(x, y, sample_weight, training=False)
        return _results(self._batch_logs(y, y_pred, loss), return_dict)

    def predict_on_batch(self, x: Any) -> numpy.ndarray:
        with no_grad():
            return self(Tensor(backend.to_device(x, self.device), dtype=self.dtype), training=False).numpy()

    def fit(self, x: Any, y: Any, batch_size: int = 32, epochs: int = 1, verbose: int = 1,
            validation_split: float = 0.0, validation_data: tuple | None = None, shuffle: bool = True,
            callbacks: list[Callback] | None = None, class_weight: dict | None = None,
            sample_weight: Any = None, initial_epoch: int = 0) -> History:
        """Train for ``epochs`` passes over (x, y) in mini-batches; returns the History.

        ``validation_split`` keeps the last fraction of the data, before any
        shuffling, for validation (as Keras). Training stops with a message at
        the first batch whose loss is not finite.
        """
        self._require_compiled("fit")
        batch_size = _checked_batch_size("fit", batch_size)
        x, y = _check_data("fit", x, y)
        x = self._checked_input("fit", x)
        if not 0 <= validation_split < 1:
            raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split}")
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 0:
            raise ValueError(f"fit: epochs must be an integer >= 0, got {epochs!r}")
        sample_weight = _combined_weights(y, sample_weight, class_weight)
        if validation_split and validation_data is None:
            split_at = int(math.ceil(len(x) * (1 - validation_split)))
            validation_data = (x[split_at:], y[split_at:])
            x, y = x[:split_at], y[:split_at]
            sample_weight = None if sample_weight is None else sample_weight[:split_at]
        if len(x) == 0:
            raise ValueError("fit: no training samples are left (check validation_split)")
        history = History()
        callback_list = [*(callbacks or []), history]  # last, so it records what the others add to logs
        for callback in callback_list:
            callback.set_model(self)
        self.stop_training = False
        batches = math.ceil(len(x) / batch_size)
        for callback in callback_list:
            callback.on_train_begin({})
        for epoch in range(initial_epoch, epochs):
            for callback in callback_list:
                callback.on_epoch_begin(epoch, {})
            if verbose == 1:
                print(f"Epoch {epoch + 1}/{epochs}")
            order = minidl_random.generator().permutation(len(x)) if shuffle else numpy.arange(len(x))
            progress = ProgressBar(batches) if verbose == 1 else None
            totals: dict[str, float] = {}
            seen = 0
            for batch in range(batches):
                index = order[batch * batch_size : (batch + 1) * batch_size]
                for callback in callback_list:
                    callback.on_train_batch_begin(batch, {})
                batch_weight = None if sample_weight is None else sample_weight[index]
                batch_logs = self.train_on_batch(_rows(x, index), _rows(y, index), sample_weight=batch_weight,
                                                 return_dict=True)
                seen += len(index)
                for key, value in batch_logs.items():
                    totals[key] = totals.get(key, 0.0) + value * len(index)
                logs = {key: value / seen for key, value in totals.items()}
                if not math.isfinite(batch_logs["loss"]):
                    print(f"\nEpoch {epoch + 1}, batch {batch + 1}: the loss is {batch_logs['loss']}; training stopped.")
                    self.stop_training = True
                for callback in callback_list:
                    callback.on_train_batch_end(batch, dict(logs))
                if progress is not None and (batch + 1 < batches and not self.stop_training):
                    progress.update(batch + 1, logs)
                if self.stop_training:
                    break
            if validation_data is not None:
                validation = self.evaluate(*validation_data, batch_size=batch_size, verbose=0, return_dict=True)
                logs.update({f"val_{key}": value for key, value in validation.items()})
            if progress is not None:
                progress.update(batch + 1, logs, final=True)
            elif verbose == 2:
                print(f"Epoch {epoch + 1}/{epochs} - {format_logs(logs)}")
            for callback in callback_list:
                callback.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        for callback in callback_list:
            callback.on_train_end({})
        return history

    def evaluate(self, x: Any, y: Any, batch_size: int = 32, verbose: int = 1, sample_weight: Any = None,
                 return_dict: bool = False) -> Any:
        """The loss (with penalties) and metrics over (x, y), averaged over samples, in inference mode."""
        self._require_compiled("evaluate")
        batch_size = _checked_batch_size("evaluate", batch_size)
        x, y = _check_data("evaluate", x, y)
        x = self._checked_input("evaluate", x)
        _check_sample_weight("evaluate", sample_weight, len(x))
        totals: dict[str, float] = {}
        batches = math.ceil(len(x) / batch_size)
        progress = ProgressBar(batches) if verbose == 1 else None
        for batch in range(batches):
            part = slice(batch * batch_size, (batch + 1) * batch_size)
            weight = None if sample_weight is None else numpy.asarray(backend.to_numpy(sample_weight))[part]
            logs = self.test_on_batch(x[part], y[part], sample_weight=weight, return_dict=True)
            for key, value in logs.items():
                totals[key] = totals.get(key, 0.0) + value * len(x[part])
            if progress is not None:
                progress.update(batch + 1, {k: v / min(len(x), (batch + 1) * batch_size) for k, v in totals.items()},
                                final=batch + 1 == batches)
        return _results({key: value / len(x) for key, value in totals.items()}, return_dict)

    #: predict passes at most this many bytes of any layer's output at once (see ``predict``).
    predict_activation_bytes = 64 * 2**20

    def predict(self, x: Any, batch_size: int = 32, verbose: int = 0) -> numpy.ndarray:
        """Outputs for every sample of ``x``, in inference mode, as one numpy array.

        In inference every sample is computed on its own (batch norm uses its
        moving statistics, dropout is off), so a batch whose largest layer
        output would exceed ``predict_activation_bytes`` goes through in
        slices: the same outputs, without arrays of gigabytes whose fresh
        pages cost more than the arithmetic.
        """
        batch_size = _checked_batch_size("predict", batch_size)
        x = self._checked_input("predict", _as_array(x))
        if len(x) == 0:
            raise ValueError("predict: x holds no samples")
        batches = math.ceil(len(x) / batch_size)
        progress = ProgressBar(batches) if verbose == 1 else None
        if not self.built:
            self.build(x.shape[1:])
        step = batch_size
        shapes = [x.shape[1:]] + self.output_shapes
        if all(isinstance(n, int) for shape in shapes for n in shape):
            largest = max(math.prod(shape) for shape in shapes) * self.dtype.itemsize
            step = max(1, min(batch_size, self.predict_activation_bytes // max(largest, 1)))
        outputs = []
        for batch in range(batches):
            part = x[batch * batch_size : (batch + 1) * batch_size]
            outputs.extend(self.predict_on_batch(part[start : start + step]) for start in range(0, len(part), step))
            if progress is not None:
                progress.update(batch + 1, final=batch + 1 == batches)
        return numpy.concatenate(outputs)

    # ----------------------------------------------------------------- saving
    def get_config(self) -> dict:
        return {"name": self.name, "input_shape": None if self.input_shape is None else list(self.input_shape),
                "layers": [serialize(layer) for layer in self._layers]}

    @classmethod
    def from_config(cls, config: dict) -> "Sequential":
        model = cls(name=config.get("name"))
        if config.get("input_shape") is not None:
            model.input_shape = tuple(config["input_shape"])
        for layer_config in config["layers"]:
            model.add(deserialize(layer_config))
        return model

    def compile_config(self) -> dict | None:
        """What ``compile`` was given, in a form a file can hold (None if something custom cannot be)."""
        if self._compile_args is None:
            return None
        try:
            return {"optimizer": optimizers_module.serialize_optimizer(self.optimizer),
                    "loss": losses_module.serialize(self.loss),
                    "metrics": [_metric_name(metric) for metric in self._compile_args["metrics"]]}
        except ValueError as error:
            warnings.warn(f"the model is saved uncompiled: {error}", stacklevel=3)
            return None

    def save(self, path: str, metadata: dict | None = None, extra_weights: dict | None = None) -> None:
        """Save architecture, weights, compile settings (and ``metadata``) to one file (no pickles).

        ``extra_weights`` ({name: list of arrays}) travel with them, see ``saving.read_extra_weights``.
        """
        saving.save_model(self, path, metadata, extra_weights)

    def save_weights(self, path: str) -> None:
        saving.save_weights(self, path)

    def load_weights(self, path: str) -> None:
        saving.load_weights(self, path)

    # ----------------------------------------------------------------- checks
    def _checked_input(self, what: str, x: Any) -> Any:
        """``x`` itself; a batch of the wrong shape is named, with ``x[None]`` suggested for one sample."""
        if self.input_shape is None or tuple(x.shape[1:]) == tuple(self.input_shape):
            return x
        hint = f"; for one sample pass x[None] (shape {(1,) + tuple(x.shape)})" \
            if tuple(x.shape) == tuple(self.input_shape) else ""
        raise ValueError(f"{what}: x has shape {tuple(x.shape)} but model {self.name!r} takes (batch,) + "
                         f"{tuple(self.input_shape)}{hint}")

    def _require_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(
                f"{what}: model {self.name!r} is not built yet; start it with Input(shape), give the first "
                "layer input_shape=, or call it on data first"
            )

    def _require_compiled(self, what: str) -> None:
        if self.optimizer is None or self.loss is None:
            raise RuntimeError(f"{what}: call compile(optimizer, loss, metrics) first")


def _unique_name(base: str, taken: set) -> str:
    """``base``, or ``base_1``, ``base_2``, ... whichever is free first (Keras's naming)."""
    name, suffix = base, 0
    while name in taken:
        suffix += 1
        name = f"{base}_{suffix}"
    return name


def _metric_name(metric: Any) -> str:
    if isinstance(metric, str):
        return metric
    raise ValueError(f"the custom metric {metric!r} cannot be saved by name")


def _results(logs: dict, return_dict: bool) -> Any:
    """Keras's return convention: a dict, the loss alone, or [loss, *metrics]."""
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _as_array(data: Any) -> Any:
    """An array from ``data``: cupy arrays stay on their GPU, anything else becomes numpy."""
    return data if backend.device_of(data) == "gpu" else numpy.asarray(data)


def _rows(data: Any, index: numpy.ndarray) -> Any:
    """``data[index]`` for a numpy index, with the index moved to the data's device."""
    return data[backend.to_device(index, backend.device_of(data))]


def _check_data(what: str, x: Any, y: Any) -> tuple[Any, Any]:
    x, y = _as_array(x), _as_array(y)
    if len(x) != len(y):
        raise ValueError(f"{what}: x has {len(x)} samples (shape {x.shape}) but y has {len(y)} (shape {y.shape})")
    return x, y


def _checked_batch_size(what: str, batch_size: Any) -> int:
    """``batch_size`` as a positive int; None means Keras's default, 32."""
    if batch_size is None:
        return 32
    if not isinstance(batch_size, (int, numpy.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"{what}: batch_size must be a positive integer (or None for 32), got {batch_size!r}")
    return int(batch_size)


def _check_sample_weight(what: str, sample_weight: Any, samples: int) -> None:
    if sample_weight is not None and len(sample_weight) != samples:
        raise ValueError(f"{what}: sample_weight has {len(sample_weight)} values for {samples} samples")


def _combined_weights(y: Any, sample_weight: Any, class_weight: dict | None) -> numpy.ndarray | None:
    """Per-sample weights: ``sample_weight`` times ``class_weight[class of the sample]`` (1 if absent)."""
    _check_sample_weight("fit", sample_weight, len(y))
    weights = None if sample_weight is None else numpy.asarray(backend.to_numpy(sample_weight), dtype=float)
    if class_weight:
        y = numpy.asarray(backend.to_numpy(y))
        if y.ndim >= 2 and y.shape[-1] > 1:
            labels = y.argmax(axis=-1)
        else:
            labels = numpy.round(y.reshape(len(y))).astype(int)
        per_class = numpy.array([class_weight.get(int(label), 1.0) for label in labels.reshape(len(y), -1)[:, 0]])
        weights = per_class if weights is None else weights * per_class
    return weights


def load_model(path: str, compile: bool = True) -> Sequential:
    """Rebuild a model saved by ``model.save(path)``: same architecture, weights and (if saved) compile settings."""
    config, weights = saving.read_model(path)
    try:
        model = Sequential.from_config(config["model"])
        model.set_weights(weights)
    except (KeyError, TypeError, ValueError) as error:
        raise saving.ModelFileError(f"{os.fspath(path)!r} describes a model that cannot be rebuilt: {error}") from None
    if compile and config.get("compile"):
        settings = config["compile"]
        try:
            model.compile(optimizer=settings["optimizer"], loss=settings["loss"], metrics=settings["metrics"])
        except (KeyError, TypeError, ValueError) as error:
            raise saving.ModelFileError(f"{os.fspath(path)!r} has compile settings that cannot be used: {error} "
                                        "(load_model(path, compile=False) loads the model uncompiled)") from None
    return model
