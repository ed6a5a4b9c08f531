"""What a Keras file holds for training: ``compile_config`` and the optimizer's variables, written and read.

Keras 3 writes, beside the model's config in config.json (in a legacy .h5
file: the ``training_config`` attribute, with "optimizer_config"), what
``compile`` was given::

    "compile_config": {"optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config": {...}},
                       "loss": "mse" or {"module": "keras.losses", ...}, "metrics": [...], ...}

(a registered function as ``{"class_name": "function", "config":
"package>name"}``), and in model.weights.h5, under ``optimizer/vars``, the
optimizer's variables: 0 the iteration count, 1 the learning rate, then its
slots (Adam's moments, ...) in the order of ``_optimizer_slot_groups``. A
model loaded from such a file is compiled and resumes training where it
stopped, in minidl and in Keras.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy

from minidl.models.functional import Model
from minidl.core.registry import snake_case
from minidl.saving.serialization import deserialize_keras_object, keras_object, plain_config


def keras_compile_config(model: Model) -> dict | None:
    """What ``compile`` was given, as Keras 3 writes ``compile_config`` in config.json (None if not compiled)."""
    config = model.compile_config()
    if config is None:
        return None
    optimizer = keras_object(config["optimizer"], "keras.optimizers")
    if isinstance(optimizer, dict) and optimizer.get("module") == "keras.optimizers":
        optimizer["config"] = {"name": snake_case(optimizer["class_name"]), **optimizer["config"]}
        optimizer["config"]["learning_rate"] = keras_object(optimizer["config"].get("learning_rate"),
                                                            "keras.optimizers.schedules")  # a schedule's config
    return {"optimizer": optimizer, "loss": _keras_compile_item(config["loss"], "keras.losses"),
            "loss_weights": config.get("loss_weights"), "metrics": _keras_compile_item(config["metrics"],
                                                                                       "keras.metrics"),
            "weighted_metrics": None, "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}


def legacy_training_config(compile_config: dict) -> dict:
    """``compile_config`` as a legacy .h5 file's ``training_config`` attribute: the optimizer as "optimizer_config"."""
    training = {key: value for key, value in compile_config.items() if key != "optimizer"}
    optimizer = compile_config["optimizer"]
    training["optimizer_config"] = {"class_name": optimizer["class_name"], "config": optimizer["config"]} \
        if isinstance(optimizer, dict) else optimizer
    return training


def _keras_compile_item(item: Any, module: str) -> Any:
    """A loss or metric of minidl's compile config as Keras writes it (lists and dicts by output name kept)."""
    if isinstance(item, list):
        return [_keras_compile_item(part, module) for part in item]
    if isinstance(item, dict) and "class_name" not in item:
        return {key: _keras_compile_item(part, module) for key, part in item.items()}
    if isinstance(item, str) and ">" in item:  # a registered function
        return {"module": "builtins", "class_name": "function", "config": item, "registered_name": "function"}
    if isinstance(item, dict) and ">" not in str(item.get("class_name")) and not _built_in(item["class_name"], module):
        # the user's own Loss or Metric class: Keras finds it by this name in custom_objects
        return {"module": None, "class_name": item["class_name"], "config": item.get("config", {}),
                "registered_name": item["class_name"]}
    return keras_object(item, module)


def _built_in(class_name: str, module: str) -> bool:
    """Whether a Loss or Metric class of this name is one of minidl's (so one of Keras's)."""
    from minidl import losses, metrics  # noqa: PLC0415 - the training layer, below this one
    from minidl.training import streaming  # noqa: PLC0415

    known = {type_.__name__ for type_ in losses.ALL.values()} if module == "keras.losses" else set(streaming.CLASSES)
    return class_name in known or class_name in getattr(metrics, "__all__", ())


def _optimizer_slot_groups(optimizer: Any) -> list:
    """minidl's slot names in Keras's order of optimizer variables: groups, each interleaved over the weights.

    Keras 3 keeps, after ``iteration`` and ``learning_rate``, e.g. for Adam
    (m, v) of the first weight, (m, v) of the second, ..., then v_hat of each
    (amsgrad); for RMSprop every velocity, then every momentum, then every
    average gradient. Names Keras does not know give None.
    """
    kind = type(optimizer).__name__
    if kind == "Adam":
        return [["m", "v"]] + ([["v_max"]] if getattr(optimizer, "amsgrad", False) else [])
    if kind == "SGD":
        return [["velocity"]] if optimizer.momentum else []
    if kind == "RMSprop":
        return [["velocity"]] + ([["momentum"]] if optimizer.momentum else []) + (
            [["average_gradient"]] if optimizer.centered else [])
    if kind == "Adagrad":
        return [["accumulator"]]
    if kind == "Adadelta":
        return [["accumulated_grad", "accumulated_delta"]]
    return None


def write_keras_optimizer_state(store: Any, model: Model) -> None:
    """The optimizer's variables under optimizer/vars, as Keras 3 keeps them, once every weight has its slots.

    Without them (a model not trained yet, an optimizer Keras lacks) nothing
    is written, and a reader starts the optimizer afresh.
    """
    optimizer = getattr(model, "optimizer", None)
    groups = None if optimizer is None else _optimizer_slot_groups(optimizer)
    if groups is None or not optimizer.iterations:
        return
    weights = model.trainable_weights
    state = optimizer.get_state(weights)["slots"]
    needed = {key for group in groups for key in group}
    if any(not needed <= set(slot) for slot in state):
        return
    arrays = [numpy.asarray(optimizer.iterations, dtype=numpy.int64)]
    if isinstance(optimizer._learning_rate, (int, float)):
        arrays.append(numpy.asarray(optimizer.learning_rate, dtype=numpy.float32))
    arrays += [slot[key] for group in groups for slot in state for key in group]
    variables = store.create_group("optimizer/vars")
    variables.attrs["name"] = snake_case(type(optimizer).__name__)
    for index, array in enumerate(arrays):
        variables.create_dataset(str(index), data=array)


def keras_optimizer_variables(store: Any) -> list | None:
    """The arrays under optimizer/vars of an open (and already checked) .keras weights file, or None."""
    if "optimizer/vars" not in store:
        return None
    variables = store["optimizer/vars"]
    return [numpy.asarray(variables[str(i)]) for i in range(len(variables))]


def read_keras_optimizer_state(model: Model, arrays: list | None, path: str) -> None:
    """Set a compiled model's optimizer from a .keras file's optimizer variables, where they fit it."""
    optimizer = getattr(model, "optimizer", None)
    groups = None if optimizer is None else _optimizer_slot_groups(optimizer)
    if groups is None or arrays is None:
        return
    weights = model.trainable_weights
    per_weight = sum(len(group) for group in groups)
    lead = len(arrays) - per_weight * len(weights)
    if per_weight and len(arrays) <= 2:  # saved before the optimizer's first step: nothing to restore
        return
    if lead not in (1, 2):
        warnings.warn(f"{path!r}: the optimizer starts afresh; the file holds {len(arrays)} optimizer variables, "
                      f"this model's {type(optimizer).__name__} has {per_weight * len(weights) + 2}", stacklevel=3)
        return
    slots: list = [{} for _ in weights]
    position = lead
    for group in groups:
        for slot in slots:
            for key in group:
                slot[key] = arrays[position]
                position += 1
    try:
        optimizer.set_state(weights, {"iterations": int(arrays[0]), "slots": slots})
    except ValueError as error:
        warnings.warn(f"{path!r}: the optimizer starts afresh: {error}", stacklevel=3)


def optimizer_from_keras(config: Any) -> Any:
    """A Keras-written optimizer (a name, or a config with a schedule inside) as minidl's compile takes it.

    Options minidl's optimizers lack ("name", "use_ema", ...) are dropped, as
    Keras's defaults: a file that sets them trains as Keras would without them.
    """
    if isinstance(config, dict) and "class_name" in config:
        return deserialize_keras_object(config)
    return config


def compile_arguments_from_keras(item: Any) -> Any:
    """A Keras-written loss or metric (name, function, object or lists of them) as minidl's compile takes it."""
    if isinstance(item, list):
        return [compile_arguments_from_keras(part) for part in item]
    if isinstance(item, dict) and "class_name" not in item:
        return {key: compile_arguments_from_keras(part) for key, part in item.items()}
    if isinstance(item, dict) and (item.get("class_name") == "function" or item.get("module") == "builtins"):
        return str(item.get("config"))
    if isinstance(item, dict) and item.get("module") is None and item.get("registered_name"):
        return deserialize_keras_object(item)  # the user's own Loss or Metric class
    return plain_config(item)
