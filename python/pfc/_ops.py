"""pfc's torch custom ops: ``pfc::linear`` and ``pfc::linear_backward``.

A layer is registered once by its canonical spec text (``register_layer``),
which gives a small integer id; the ops take that id and the layer's
parameters as separate tensors. The kernel is compiled lazily, on the first
call, once per ``torch.get_num_threads()`` value, and cached for the process
(pfc's kernel cache, ``$PFC_CACHE_DIR``, makes a recompile cheap).

Tensors cross into the kernels without copies: only their ``data_ptr()``
does. Inputs must be float32 on the CPU; a non-contiguous input is made
contiguous first.
"""

from __future__ import annotations

import collections
import itertools
import threading
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from . import _pfc

__all__ = [
    "register_layer",
    "layer_spec",
    "linear",
    "linear_backward",
    "PARAM_SLOTS",
]

#: The parameter slots of the ops, in their argument order, with pfc's names.
PARAM_SLOTS = ("blocks", "U", "V", "gamma", "gate.weight", "gate.bias", "bias")

class _Registered:
    """A registered layer's spec with what every call reads from it, made
    once (``Spec.info`` builds a dict with the whole block list)."""

    __slots__ = ("spec", "name", "in_features", "out_features", "param_infos")

    def __init__(self, spec: _pfc.Spec):
        info = spec.info
        self.spec = spec
        self.name = info["name"]
        self.in_features = info["in_features"]
        self.out_features = info["out_features"]
        self.param_infos = tuple((name, tuple(shape)) for name, shape in spec.param_infos)


_lock = threading.Lock()
_specs: List[_Registered] = []  # layer id -> its spec
_ids: Dict[str, int] = {}  # canonical text -> layer id
_compiled: Dict[Tuple[int, int], _pfc.Layer] = {}  # (id, threads) -> layer


def register_layer(text: str, source: str = "<spec>") -> int:
    """Parses a ``pfc: 1`` layer spec and returns its layer id.

    Specs with the same canonical text share an id (and compiled kernels).
    A bad spec raises ValueError with ``source:line:col: error: ...``.
    """
    spec = _pfc.Spec(text, source)
    with _lock:
        layer_id = _ids.get(spec.canonical)
        if layer_id is None:
            layer_id = len(_specs)
            _specs.append(_Registered(spec))
            _ids[spec.canonical] = layer_id
    return layer_id


def _registered(layer_id: int) -> _Registered:
    if not 0 <= layer_id < len(_specs):
        raise ValueError(f"pfc: unknown layer id {layer_id}")
    return _specs[layer_id]


def layer_spec(layer_id: int) -> _pfc.Spec:
    """The parsed spec of a registered layer id."""
    return _registered(layer_id).spec


def _layer(layer_id: int) -> _pfc.Layer:
    threads = max(1, torch.get_num_threads())
    key = (layer_id, threads)
    layer = _compiled.get(key)
    if layer is None:
        with _lock:
            layer = _compiled.get(key)
            if layer is None:
                layer = _pfc.Layer(layer_spec(layer_id), threads)
                _compiled[key] = layer
    return layer


# Keys naming a set of parameter values, so that a layer re-packs its
# parameters only when they change. A key is remembered with strong
# references to its tensors (so their ids cannot be reused while it lives)
# and their version counters (bumped by every in-place update: optimizer
# steps, load_state_dict, ...). Keys are never reused.
_KEY_CACHE_SIZE = 256
_key_lock = threading.Lock()
_key_counter = itertools.count(1)
_keys: "collections.OrderedDict[tuple, Tuple[int, tuple]]" = collections.OrderedDict()


def _params_key(tensors: Sequence[Tensor]) -> int:
    signature = tuple((id(t), t._version, t.data_ptr()) for t in tensors)
    with _key_lock:
        entry = _keys.get(signature)
        if entry is not None:
            _keys.move_to_end(signature)
            return entry[0]
        key = next(_key_counter)
        _keys[signature] = (key, tuple(tensors))
        while len(_keys) > _KEY_CACHE_SIZE:
            _keys.popitem(last=False)
        return key


def _check_float(name: str, t: Tensor) -> None:
    if t.dtype != torch.float32:
        raise ValueError(
            f"pfc: {name} is {t.dtype}; pfc's CPU kernels compute in f32 only "
            "(expected torch.float32; bf16 is not supported yet)"
        )
    if t.device.type != "cpu":
        raise ValueError(f"pfc: {name} is on {t.device} (expected a CPU tensor)")


def _check_input(x: Tensor, layer: _Registered) -> None:
    _check_float("the input", x)
    if x.dim() < 1 or x.shape[-1] != layer.in_features:
        raise ValueError(
            f"pfc: layer '{layer.name}' takes inputs of shape [..., "
            f"{layer.in_features}], got {list(x.shape)}"
        )


def _gather_params(
    layer: _Registered, slots: Sequence[Optional[Tensor]]
) -> List[Tensor]:
    """The layer's parameters in pfc's order (param_infos), checked and
    contiguous."""
    by_name = dict(zip(PARAM_SLOTS, slots))
    params = []
    for name, shape in layer.param_infos:
        t = by_name.get(name)
        if t is None:
            raise ValueError(f"pfc: layer '{layer.name}' needs parameter {name}")
        _check_float(name, t)
        if tuple(t.shape) != shape:
            raise ValueError(
                f"pfc: parameter {name} has shape {list(t.shape)} "
                f"(expected {list(shape)})"
            )
        params.append(t.contiguous())
    return params


@torch.library.custom_op("pfc::linear", mutates_args=())
def linear(
    x: Tensor,
    blocks: Tensor,
    U: Optional[Tensor],
    V: Optional[Tensor],
    gamma: Optional[Tensor],
    gate_weight: Optional[Tensor],
    gate_bias: Optional[Tensor],
    bias: Optional[Tensor],
    layer_id: int,
) -> Tensor:
    """y [..., out] = the Pixelfly layer ``layer_id`` applied to x [..., in]."""
    layer = _registered(layer_id)
    _check_input(x, layer)
    params = _gather_params(layer, (blocks, U, V, gamma, gate_weight, gate_bias, bias))
    x2 = x.reshape(-1, layer.in_features).contiguous()
    tokens = x2.shape[0]
    y = torch.empty((tokens, layer.out_features), dtype=torch.float32)
    if tokens > 0:
        _layer(layer_id).forward(
            x2.data_ptr(), tokens, y.data_ptr(),
            [p.data_ptr() for p in params], _params_key(params),
        )
    return y.reshape(*x.shape[:-1], layer.out_features)


@linear.register_fake
def _linear_fake(x, blocks, U, V, gamma, gate_weight, gate_bias, bias, layer_id):
    layer = _registered(layer_id)
    _check_input(x, layer)
    return x.new_empty((*x.shape[:-1], layer.out_features))


@torch.library.custom_op("pfc::linear_backward", mutates_args=())
def linear_backward(
    x: Tensor,
    dy: Tensor,
    blocks: Tensor,
    U: Optional[Tensor],
    V: Optional[Tensor],
    gamma: Optional[Tensor],
    gate_weight: Optional[Tensor],
    gate_bias: Optional[Tensor],
    bias: Optional[Tensor],
    layer_id: int,
) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """(dx, dblocks, dU, dV, dgamma, dgate_weight, dgate_bias, dbias) from x
    [..., in] and dy = d(loss)/dy [..., out]. The gradient of a parameter the
    layer lacks is an empty tensor (shape [0])."""
    layer = _registered(layer_id)
    _check_input(x, layer)
    _check_float("dy", dy)
    if tuple(dy.shape) != (*x.shape[:-1], layer.out_features):
        raise ValueError(
            f"pfc: dy has shape {list(dy.shape)} "
            f"(expected {[*x.shape[:-1], layer.out_features]})"
        )
    slots = (blocks, U, V, gamma, gate_weight, gate_bias, bias)
    params = _gather_params(layer, slots)
    x2 = x.reshape(-1, layer.in_features).contiguous()
    dy2 = dy.reshape(-1, layer.out_features).contiguous()
    tokens = x2.shape[0]
    dx = torch.empty_like(x2)
    grads = {name: torch.empty(shape, dtype=torch.float32)
             for name, shape in layer.param_infos}
    _layer(layer_id).backward(
        x2.data_ptr(), dy2.data_ptr(), tokens, dx.data_ptr(),
        [p.data_ptr() for p in params], _params_key(params),
        [grads[name].data_ptr() for name, _ in layer.param_infos],
    )
    empty = torch.empty(0, dtype=torch.float32)
    return (dx.reshape(x.shape),) + tuple(
        grads[name] if name in grads else empty.clone() for name in PARAM_SLOTS
    )


@linear_backward.register_fake
def _linear_backward_fake(x, dy, blocks, U, V, gamma, gate_weight, gate_bias,
                          bias, layer_id):
    layer = _registered(layer_id)
    _check_input(x, layer)
    shapes = dict(layer.param_infos)
    return (x.new_empty(x.shape),) + tuple(
        x.new_empty(shapes[name] if name in shapes else (0,))
        for name in PARAM_SLOTS
    )


def _setup_context(ctx, inputs, output):
    x, blocks, U, V, gamma, gate_weight, gate_bias, bias, layer_id = inputs
    ctx.save_for_backward(x, blocks, U, V, gamma, gate_weight, gate_bias, bias)
    ctx.layer_id = layer_id


def _backward(ctx, dy):
    x, blocks, U, V, gamma, gate_weight, gate_bias, bias = ctx.saved_tensors
    grads = linear_backward(x, dy, blocks, U, V, gamma, gate_weight, gate_bias,
                            bias, ctx.layer_id)
    inputs = (x, blocks, U, V, gamma, gate_weight, gate_bias, bias)
    out = []
    for i, (t, g) in enumerate(zip(inputs, grads)):
        out.append(g if t is not None and ctx.needs_input_grad[i] else None)
    return (*out, None)


linear.register_autograd(_backward, setup_context=_setup_context)
