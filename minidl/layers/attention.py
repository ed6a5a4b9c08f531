"""Attention layers: MultiHeadAttention (Vaswani et al. 2017), Attention (Luong) and AdditiveAttention (Bahdanau).

MultiHeadAttention, for a query (batch, T, d_q) and a value (batch, S, d_v)
(and a key, the value by default), with h heads:

    Q_h = query W^Q_h + b^Q_h,  K_h = key W^K_h + b^K_h,  V_h = value W^V_h + b^V_h
    O_h = softmax(Q_h K_h^T / sqrt(key_dim), masked) V_h         (minidl.functional.attention)
    y   = sum_h O_h W^O_h + b^O

Keras's weight layouts (its EinsumDense projections), in Keras's order:
query, key and value kernels (d, heads, key_dim) (value: value_dim) with
biases (heads, key_dim); the output kernel (heads, value_dim, d_out) and
bias (d_out,), d_out the query's last size or ``output_shape``. Inputs of
more axes, (batch, T1, T2, ..., d), attend over all the middle axes at
once (Keras's default ``attention_axes``): their positions are flattened
into one sequence and the result put back in shape.

A mask is True where a query may attend to a key: ``attention_mask``
(batch, T, S), the causal mask (``use_causal_mask=True``: key j <= query i)
and ``query_mask``/``value_mask``/``key_mask`` (batch, T) or (batch, S)
combine with "and", as Keras's ``_compute_attention_mask``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from minidl import constraints, initializers, regularizers
from minidl import functional as F
from minidl.autodiff.tensor import Tensor
from minidl.core import backend
from minidl.functional.attention import MASKED_SCORE, dot_product_attention
from minidl.layers.base import Layer, check_positive_int
from minidl.layers.protocol import resolved_training
from minidl.layers.symbolic import call_symbolically, is_symbolic


def _array(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value


def causal_mask(queries: int, keys: int) -> numpy.ndarray:
    """(1, T, S) booleans: query i may attend to key j when j <= i (Keras's ``_compute_causal_mask``)."""
    return (numpy.arange(queries)[:, None] >= numpy.arange(keys)[None, :])[None]


def combined_mask(batch: int, queries: int, keys: int, attention_mask: Any = None, use_causal_mask: bool = False,
                  query_mask: Any = None, value_mask: Any = None, key_mask: Any = None,
                  what: str = "attention") -> Any:
    """The (batch or 1, T, S) boolean mask of Keras's rules (module docstring), or None when nothing is masked."""
    masks = []
    if query_mask is not None:
        masks.append(backend.to_numpy(_array(query_mask)).reshape(batch, queries, 1).astype(bool))
    for given in (value_mask, key_mask):
        if given is not None:
            masks.append(backend.to_numpy(_array(given)).reshape(batch, 1, keys).astype(bool))
    if use_causal_mask:
        masks.append(causal_mask(queries, keys))
    if attention_mask is not None:
        mask = backend.to_numpy(_array(attention_mask))
        if mask.size not in (batch * queries * keys, queries * keys):
            raise ValueError(f"{what}: attention_mask must have shape (batch, queries, keys) = "
                             f"({batch}, {queries}, {keys}), got {mask.shape}")
        mask = mask.reshape(-1, queries, keys)
        masks.append(mask if mask.dtype == bool else mask > 0.5)
    if not masks:
        return None
    combined = masks[0]
    for mask in masks[1:]:
        combined = combined & mask
    return combined


class MultiHeadAttention(Layer):
    """Multi-head scaled dot-product attention with Keras's arguments, weights and call (module docstring).

    Call as ``mha(query, value)``, ``mha(query, value, key)``, with
    ``attention_mask=``, ``use_causal_mask=``, ``return_attention_scores=``
    (then it returns ``(output, scores)``, scores (batch, heads, T, S)).
    """

    keras_positional_inputs = True  # Keras's files record mha(query, value): tensors as separate arguments

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None, dropout: float = 0.0,
                 use_bias: bool = True, output_shape: Any = None, attention_axes: Any = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, seed: int | None = None, use_gate: bool = False,
                 sliding_window: int | None = None, flash_attention: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        kind = type(self).__name__
        self.num_heads = check_positive_int(kind, "num_heads", num_heads)
        self.key_dim = check_positive_int(kind, "key_dim", key_dim)
        self.value_dim = self.key_dim if value_dim is None else check_positive_int(kind, "value_dim", value_dim)
        if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"{kind}: dropout must be in [0, 1), got {dropout!r}")
        for name, value, neutral in (("use_gate", use_gate, False), ("sliding_window", sliding_window, None),
                                     ("flash_attention", flash_attention, None)):
            if value not in (neutral, False if neutral is None else neutral):
                raise ValueError(f"{kind}: {name}={value!r} is not supported by minidl (only {neutral!r})")
        if self.activity_regularizer is not None:
            raise ValueError(f"{kind}: activity_regularizer is not supported by minidl's MultiHeadAttention")
        self.dropout, self.use_bias, self.seed = float(dropout), bool(use_bias), seed
        self.output_shape = None if not output_shape else (
            (int(output_shape),) if isinstance(output_shape, int) else tuple(int(size) for size in output_shape))
        self.attention_axes = None if attention_axes is None else (
            (attention_axes,) if isinstance(attention_axes, int) else tuple(attention_axes))
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._generator = None if seed is None else numpy.random.default_rng(seed)

    # ----------------------------------------------------------------- shapes and weights
    def _shapes(self, input_shape: Any) -> tuple:
        if not isinstance(input_shape, list) or len(input_shape) not in (2, 3):
            raise ValueError(f"layer {self.label!r}: MultiHeadAttention is called as mha(query, value) or "
                             f"mha(query, value, key), got inputs of shape {input_shape}")
        query, value = input_shape[0], input_shape[1]
        key = input_shape[2] if len(input_shape) == 3 else value
        if len(query) < 2 or len(value) != len(query) or len(key) != len(query) or value[:-1] != key[:-1]:
            raise ValueError(f"layer {self.label!r}: query, value and key must be (batch, positions..., features) "
                             f"of one rank, value and key alike but for the features; got shapes "
                             f"{[(None, *shape) for shape in input_shape]}")
        middle = tuple(range(1, len(query)))
        if self.attention_axes is not None and tuple(sorted(a % (len(query) + 1) for a in self.attention_axes)) \
                != middle:
            raise ValueError(f"layer {self.label!r}: attention_axes={self.attention_axes} is not supported; minidl "
                             f"attends over all the axes between batch and features, {middle} (Keras's default)")
        if any(size is None for shape in (query, value, key) for size in shape[-1:]):
            raise ValueError(f"layer {self.label!r}: the feature sizes must be known, got {input_shape}")
        return query, value, key

    def compute_output_shape(self, input_shape: Any) -> tuple:
        query, _, _ = self._shapes(input_shape)
        return tuple(query[:-1]) + (self.output_shape or (query[-1],))

    def _projection(self, name: str, shape: tuple, bias_shape: tuple) -> None:
        kernel = self.add_weight(shape=shape, initializer=self.kernel_initializer, name=f"{name}/kernel",
                                 regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        bias = None if not self.use_bias else self.add_weight(
            shape=bias_shape, initializer=self.bias_initializer, name=f"{name}/bias",
            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        setattr(self, f"_{name}_weights", (kernel, bias))

    def build(self, input_shape: Any) -> None:
        query, value, key = self._shapes(input_shape)
        heads = self.num_heads
        self._projection("query", (query[-1], heads, self.key_dim), (heads, self.key_dim))
        self._projection("key", (key[-1], heads, self.key_dim), (heads, self.key_dim))
        self._projection("value", (value[-1], heads, self.value_dim), (heads, self.value_dim))
        out = self.output_shape or (query[-1],)
        self._projection("attention_output", (heads, self.value_dim) + out, out)

    def keras_variable_groups(self) -> list:
        """Where Keras 3 keeps the weights in a .keras file, below the layer's group: an empty ``vars`` of its
        own, then each EinsumDense sublayer's kernel (and bias)."""
        per = 2 if self.use_bias else 1
        names = ("query_dense", "key_dense", "value_dense", "output_dense")
        return [("vars", [])] + [(f"{name}/vars", self.weights[per * i : per * (i + 1)])
                                 for i, name in enumerate(names)]

    # ----------------------------------------------------------------- calling
    def __call__(self, query: Any, value: Any = None, key: Any = None, query_mask: Any = None,
                 value_mask: Any = None, key_mask: Any = None, attention_mask: Any = None,
                 return_attention_scores: bool = False, training: bool | None = None,
                 use_causal_mask: bool = False) -> Any:
        if value is None and isinstance(query, (list, tuple)) and len(query) in (2, 3):
            query, value, key = (list(query) + [None])[:3]  # a graph's call, its tensors as a list
        if value is None:
            raise ValueError(f"layer {self.label!r}: MultiHeadAttention needs a query and a value: "
                             "mha(query, value) (self-attention: mha(x, x))")
        tensors = [query, value] + ([] if key is None else [key])
        options = {name: given for name, given in (("attention_mask", attention_mask), ("query_mask", query_mask),
                                                   ("value_mask", value_mask), ("key_mask", key_mask))
                   if given is not None}
        flags = {"return_attention_scores": bool(return_attention_scores), "use_causal_mask": bool(use_causal_mask)}
        if is_symbolic(tensors + list(options.values())):
            self.checked_inputs(tensors, symbolic=True)
            shape = self.compute_output_shape([tuple(t.shape[1:]) for t in tensors])
            shapes = [shape]
            if return_attention_scores:
                shapes.append((self.num_heads,) + tuple(query.shape[1:-1]) + tuple(value.shape[1:-1]))
            kwargs = {**options, **{name: flag for name, flag in flags.items() if flag}}
            return call_symbolically(self, tensors, kwargs, shapes if return_attention_scores else shape)
        tensors = self.checked_inputs(tensors)
        return self.attend(*tensors, **options, **flags, training=resolved_training(self, training))

    def _project(self, x: Tensor, name: str) -> Tensor:
        """(batch, P, d) -> (batch, heads, P, size): x W_h + b_h for every head h, as one broadcast matmul
        (batch, 1, P, d) @ (heads, d, size), whose result is already laid out head by head."""
        kernel, bias = getattr(self, f"_{name}_weights")
        d, heads, size = kernel.shape
        y = F.matmul(F.reshape(x, (x.shape[0], 1, x.shape[1], d)), F.transpose(kernel, (1, 0, 2)))
        return y if bias is None else y + F.reshape(bias, (heads, 1, size))

    def attend(self, query: Tensor, value: Tensor, key: Tensor | None = None, attention_mask: Any = None,
               query_mask: Any = None, value_mask: Any = None, key_mask: Any = None,
               return_attention_scores: bool = False, use_causal_mask: bool = False, training: bool = False) -> Any:
        """The computation of the module docstring, on Tensors (``__call__`` checks and builds first)."""
        key = value if key is None else key
        batch, query_positions, value_positions = query.shape[0], query.shape[1:-1], value.shape[1:-1]
        queries, keys = math.prod(query_positions), math.prod(value_positions)
        flat = [F.reshape(x, (batch, n, x.shape[-1])) for x, n in ((query, queries), (key, keys), (value, keys))]
        mask = combined_mask(batch, queries, keys, attention_mask, use_causal_mask, query_mask, value_mask,
                             key_mask, f"layer {self.label!r}")
        if mask is not None:
            xp = backend.get_array_module(query.data)
            mask = xp.asarray(mask[:, None])  # broadcast over the heads
        q, k, v = self._project(flat[0], "query"), self._project(flat[1], "key"), self._project(flat[2], "value")
        o, p = dot_product_attention(q, k, v, 1.0 / math.sqrt(self.key_dim), mask, self.dropout, training,
                                     self._generator)
        kernel, bias = self._attention_output_weights  # y = sum_h O_h W^O_h + b: (batch, heads, T, out) summed
        out_shape = tuple(kernel.shape[2:])
        y = F.sum(F.matmul(o, F.reshape(kernel, (self.num_heads, self.value_dim, math.prod(out_shape)))), axis=1)
        if bias is not None:
            y = y + F.reshape(bias, (math.prod(out_shape),))
        y = F.reshape(y, (batch,) + tuple(query_positions) + out_shape)
        if return_attention_scores:
            return [y, F.reshape(p, (batch, self.num_heads) + tuple(query_positions) + tuple(value_positions))]
        return y

    def get_config(self) -> dict:
        return {
            **super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
            "value_dim": self.value_dim, "dropout": self.dropout, "use_bias": self.use_bias,
            "output_shape": None if self.output_shape is None else list(self.output_shape),
            "attention_axes": None if self.attention_axes is None else list(self.attention_axes),
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint), "seed": self.seed,
        }


class Attention(Layer):
    """Dot-product attention of Luong et al. 2015 over [query, value] or [query, value, key] (Keras's ``Attention``).

    scores = q k^T ("dot", times a learned scalar ``scale`` with ``use_scale``)
    or c * sum_d tanh(s * (q_i + k_j))_d ("concat", c learned); weights =
    softmax(scores) over the keys (masked keys left out), output = weights v.
    Call as ``Attention()([query, value])``; ``mask=[query_mask, value_mask]``,
    ``use_causal_mask``, ``return_attention_scores`` as Keras's.
    """

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"{type(self).__name__}: score_mode must be 'dot' or 'concat', got {score_mode!r}")
        if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"{type(self).__name__}: dropout must be in [0, 1), got {dropout!r}")
        self.use_scale, self.score_mode, self.dropout, self.seed = bool(use_scale), score_mode, float(dropout), seed
        self._generator = None if seed is None else numpy.random.default_rng(seed)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        if not isinstance(input_shape, list) or len(input_shape) not in (2, 3):
            raise ValueError(f"layer {self.label!r}: {type(self).__name__} is called on a list, [query, value] or "
                             f"[query, value, key]; got inputs of shape {input_shape}")
        query, value = input_shape[0], input_shape[1]
        key = input_shape[2] if len(input_shape) == 3 else value
        if query[-1] != key[-1] or value[:-1] != key[:-1]:
            raise ValueError(f"layer {self.label!r}: query (T, dim) and key (S, dim) must share dim, and key and "
                             f"value their positions; got shapes {input_shape}")
        return tuple(query[:-1]) + (value[-1],)

    def build(self, input_shape: Any) -> None:
        self.compute_output_shape(input_shape)
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale") if self.use_scale else None
        self.concat_score_weight = self.add_weight(shape=(), initializer="ones", name="concat_score_weight") \
            if self.score_mode == "concat" else None

    def __call__(self, inputs: Any, mask: Any = None, training: bool | None = None,
                 return_attention_scores: bool = False, use_causal_mask: bool = False) -> Any:
        flags = {"return_attention_scores": bool(return_attention_scores), "use_causal_mask": bool(use_causal_mask)}
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else inputs
        if is_symbolic(inputs):
            self.checked_inputs(inputs, symbolic=True)
            shape = self.compute_output_shape([tuple(t.shape[1:]) for t in inputs])
            shapes = [shape, tuple(inputs[0].shape[1:-1]) + (inputs[1].shape[-2],)]
            kwargs = {name: flag for name, flag in flags.items() if flag}
            return call_symbolically(self, inputs, kwargs, shapes if return_attention_scores else shape)
        inputs = self.checked_inputs(inputs)
        return self.attend(inputs, mask, resolved_training(self, training), **flags)

    def scores(self, query: Tensor, key: Tensor) -> Tensor:
        """(batch, T, S) scores before the softmax (class docstring)."""
        if self.score_mode == "dot":
            scores = F.matmul(query, F.transpose(key, (0, 2, 1)))
            return scores * self.scale if self.scale is not None else scores
        pairs = F.reshape(query, (query.shape[0], query.shape[1], 1, query.shape[2])) + \
            F.reshape(key, (key.shape[0], 1, key.shape[1], key.shape[2]))
        if self.scale is not None:
            pairs = pairs * self.scale
        return self.concat_score_weight * F.sum(F.tanh(pairs), axis=-1)

    def attend(self, inputs: list, mask: Any, training: bool, return_attention_scores: bool = False,
               use_causal_mask: bool = False) -> Any:
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        scores = self.scores(query, key)
        query_mask = value_mask = None
        if mask is not None:
            query_mask, value_mask = mask[0], mask[1]
        keep = combined_mask(query.shape[0], scores.shape[1], scores.shape[2], None, use_causal_mask, None,
                             value_mask, None, f"layer {self.label!r}")
        if keep is not None:  # Keras subtracts 1e9 from the masked scores
            xp = backend.get_array_module(scores.data)
            scores = scores - Tensor(xp.asarray(~keep * -MASKED_SCORE, dtype=scores.dtype))
        weights = F.softmax(scores, axis=-1)
        dropped = F.dropout(weights, self.dropout, training, self._generator) if self.dropout > 0 else weights
        output = F.matmul(dropped, value)
        if query_mask is not None:
            xp = backend.get_array_module(output.data)
            output = output * Tensor(xp.asarray(_array(query_mask), dtype=output.dtype)[..., None])
        return [output, weights] if return_attention_scores else output

    def get_config(self) -> dict:
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": self.seed}


class AdditiveAttention(Attention):
    """Bahdanau's additive attention: scores_ij = sum_d scale_d * tanh(q_id + k_jd) (Keras's ``AdditiveAttention``;
    ``scale`` (dim,) learned with ``use_scale``, the default)."""

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any) -> None:
        kwargs.pop("score_mode", None)
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape: Any) -> None:
        self.compute_output_shape(input_shape)
        dim = input_shape[0][-1]
        self.scale = self.add_weight(shape=(dim,), initializer="glorot_uniform", name="scale") \
            if self.use_scale else None
        self.concat_score_weight = None

    def scores(self, query: Tensor, key: Tensor) -> Tensor:
        pairs = F.tanh(F.reshape(query, (query.shape[0], query.shape[1], 1, query.shape[2]))
                       + F.reshape(key, (key.shape[0], 1, key.shape[1], key.shape[2])))
        return F.sum(pairs * self.scale if self.scale is not None else pairs, axis=-1)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("score_mode")
        return config
