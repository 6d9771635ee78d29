"""pfc's torch custom ops: ``pfc::linear`` and ``pfc::linear_backward``;
``pfc::attention`` and ``pfc::attention_backward`` (Pixelfly attention).

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
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from . import _pfc

__all__ = [
    "register_layer",
    "layer_spec",
    "linear",
    "linear_backward",
    "PARAM_SLOTS",
    "register_attention",
    "register_attention_pattern",
    "resolve_attention",
    "attention_spec",
    "attention",
    "attention_backward",
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


class _Registry:
    """Specs by id, one id per canonical text (so one compile per pattern)."""

    def __init__(self, kind: str, make):
        self.kind, self.make = kind, make
        self.entries: List = []  # id -> its registered spec
        self.ids: Dict[str, int] = {}  # canonical text -> id

    def register(self, spec) -> int:
        with _lock:
            spec_id = self.ids.get(spec.canonical)
            if spec_id is None:
                spec_id = len(self.entries)
                self.entries.append(self.make(spec))
                self.ids[spec.canonical] = spec_id
        return spec_id

    def get(self, spec_id: int):
        if not 0 <= spec_id < len(self.entries):
            raise ValueError(f"pfc: unknown {self.kind} id {spec_id}")
        return self.entries[spec_id]


_layers = _Registry("layer", _Registered)
_compiled: Dict[Tuple[int, int], _pfc.Layer] = {}  # (id, threads) -> layer


def register_layer(text: str, source: str = "<spec>") -> int:
    """Parses a ``pfc: 1`` layer spec and returns its layer id.

    Specs with the same canonical text share an id (and compiled kernels).
    A bad spec raises ValueError with ``source:line:col: error: ...``.
    """
    return _layers.register(_pfc.Spec(text, source))


def _registered(layer_id: int) -> _Registered:
    return _layers.get(layer_id)


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


# -- attention ----------------------------------------------------------------
#
# An attention spec is registered the same way as a layer: once by its
# canonical text, for a small integer id that the ops take. Its kernels
# (forward and backward) are compiled on first use, per thread count.


class _RegisteredAttention:
    """A registered attention spec with what every call reads from it."""

    __slots__ = ("spec", "info", "name", "seq_len", "heads", "head_dim")

    def __init__(self, spec: _pfc.AttentionSpec):
        info = spec.info
        self.spec = spec
        self.info = info
        self.name = info["name"]
        self.seq_len = info["seq_len"]
        self.heads = info["heads"]
        self.head_dim = info["head_dim"]


_attentions = _Registry("attention", _RegisteredAttention)
_attention_compiled: Dict[Tuple[int, int], _pfc.Attention] = {}  # (id, threads)


def register_attention(text: str, source: str = "<spec>") -> int:
    """Parses a ``pfc: 1`` attention spec and returns its attention id.

    Specs with the same canonical text share an id (and compiled kernels).
    A bad spec raises ValueError with ``source:line:col: error: ...``, as
    does one of another dtype than f32 (the CPU kernels compute in f32).
    """
    return _attentions.register(_pfc.AttentionSpec(text, source))


def _registered_attention(attention_id: int) -> _RegisteredAttention:
    return _attentions.get(attention_id)


# Patterns: a spec with its length, heads and head_dim left open, for
# pixelfly_attention. A pattern's id is negative (-1 - its index); the ops
# take it in place of a spec's id and build (once) the spec for the call's
# T rounded up to whole blocks, its heads and head_dim. So the id does not
# depend on the shapes: torch.compile traces the op with T symbolic.
_attention_patterns: List[Tuple[int, Callable[[int, int, int], str], str]] = []
_pattern_ids: Dict[tuple, int] = {}  # pattern key -> pattern id
_pattern_specs: Dict[Tuple[int, int, int, int], int] = {}  # (pattern, blocks, heads, d)


def register_attention_pattern(key: tuple, block: int,
                               make_text: Callable[[int, int, int], str],
                               source: str = "<pattern>") -> int:
    """A (negative) attention id standing for the specs ``make_text(seq_len,
    heads, head_dim)``, one per call shape with seq_len = T rounded up to
    whole blocks of ``block``. ``key`` names the pattern (equal keys share
    an id); ``make_text`` must be a function of its arguments and the key."""
    with _lock:
        pattern_id = _pattern_ids.get(key)
        if pattern_id is None:
            _attention_patterns.append((int(block), make_text, source))
            pattern_id = -len(_attention_patterns)
            _pattern_ids[key] = pattern_id
    return pattern_id


def resolve_attention(attention_id: int, tokens: int, heads: int, head_dim: int) -> int:
    """The spec id that ``attention_id`` runs for q of shape
    [batch, heads, tokens, head_dim]: itself for a spec's id, else its
    pattern's spec for that shape (registered on first use)."""
    if attention_id >= 0:
        return attention_id
    index = -1 - attention_id
    if index >= len(_attention_patterns):
        raise ValueError(f"pfc: unknown attention id {attention_id}")
    block, make_text, source = _attention_patterns[index]
    blocks = max(1, -(-int(tokens) // block))
    key = (attention_id, blocks, int(heads), int(head_dim))
    spec_id = _pattern_specs.get(key)
    if spec_id is None:
        spec_id = register_attention(make_text(blocks * block, int(heads), int(head_dim)),
                                     source)
        _pattern_specs[key] = spec_id
    return spec_id


def attention_spec(attention_id: int) -> _pfc.AttentionSpec:
    """The parsed spec of a registered attention id."""
    return _registered_attention(attention_id).spec


def _attention(attention_id: int, backward: bool = True) -> _pfc.Attention:
    """The compiled attention for torch's thread count. The backward kernel
    is about three quarters of the compile time: a forward whose inputs need
    no gradient (inference) compiles the forward alone, and the first
    backward then compiles both (the forward code is the same)."""
    threads = max(1, torch.get_num_threads())
    key = (attention_id, threads)
    attention = _attention_compiled.get(key)
    if attention is None or (backward and not attention.has_backward):
        with _lock:
            attention = _attention_compiled.get(key)
            if attention is None or (backward and not attention.has_backward):
                attention = _pfc.Attention(attention_spec(attention_id), threads,
                                           backward)
                _attention_compiled[key] = attention
    return attention


def _check_attention_tensor(name: str, t: Tensor, shape, att: _RegisteredAttention):
    _check_float(name, t)
    if tuple(t.shape) != tuple(shape):
        raise ValueError(
            f"pfc: attention '{att.name}': {name} has shape {list(t.shape)} "
            f"(expected {list(shape)})")


def _check_qkv_shapes(q: Tensor, k: Tensor, v: Tensor, name: str) -> None:
    """q, k, v: float32 CPU tensors of one shape [batch, heads, T, d]."""
    for arg, t in (("q", q), ("k", k), ("v", v)):
        _check_float(arg, t)
    if q.dim() != 4:
        raise ValueError(
            f"pfc: {name} takes q, k, v of shape [batch, heads, T, head_dim], got q of "
            f"shape {list(q.shape)}")
    for arg, t in (("k", k), ("v", v)):
        if t.shape != q.shape:
            raise ValueError(
                f"pfc: {name}: {arg} has shape {list(t.shape)}, q {list(q.shape)} (q, k "
                f"and v must have one shape)")


def _resolve(attention_id: int, q: Tensor, k: Tensor, v: Tensor) -> int:
    """The spec id for these inputs, the generic checks done."""
    if attention_id >= 0:
        return attention_id
    _check_qkv_shapes(q, k, v, "pixelfly_attention")
    _, heads, tokens, d = q.shape
    return resolve_attention(attention_id, tokens, heads, d)


def _check_qkv(q: Tensor, k: Tensor, v: Tensor, att: _RegisteredAttention) -> None:
    """q, k, v: float32 CPU tensors of one shape [batch, heads, T, d] with the
    spec's heads and d, T <= seq_len."""
    _check_qkv_shapes(q, k, v, f"attention '{att.name}'")
    batch, heads, tokens, d = q.shape
    if heads != att.heads or d != att.head_dim:
        raise ValueError(
            f"pfc: attention '{att.name}' has {att.heads} heads of dimension "
            f"{att.head_dim} (q, k, v [batch, {att.heads}, T, {att.head_dim}]), "
            f"got q of shape {list(q.shape)}")
    if tokens > att.seq_len:
        raise ValueError(
            f"pfc: attention '{att.name}' takes at most {att.seq_len} tokens "
            f"(its seq_len), got {tokens}")


@torch.library.custom_op("pfc::attention", mutates_args=())
def attention(q: Tensor, k: Tensor, v: Tensor, attention_id: int
              ) -> Tuple[Tensor, Tensor]:
    """(out, stats) of Pixelfly attention ``attention_id`` (docs/ATTENTION.md):
    q, k, v, out [batch, heads, T, d]; stats [batch, heads, T, 3], per query
    what the backward needs (the row's scale M, its scaled denominator
    D·exp(−M), and 1 where the low-rank mass was clamped to ε). A pattern's
    id (negative, register_attention_pattern) runs its spec for q's shape."""
    attention_id = _resolve(attention_id, q, k, v)
    att = _registered_attention(attention_id)
    _check_qkv(q, k, v, att)
    # Inputs requiring grad: a backward may follow (compile it now).
    wants_backward = q.requires_grad or k.requires_grad or v.requires_grad
    q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
    batch, heads, tokens, d = q.shape
    out = torch.empty((batch, heads, tokens, d), dtype=torch.float32)
    stats = torch.empty((batch, heads, tokens, 3), dtype=torch.float32)
    if batch > 0 and tokens > 0:
        _attention(attention_id, wants_backward).forward(
            q.data_ptr(), k.data_ptr(), v.data_ptr(), batch, tokens,
            out.data_ptr(), stats.data_ptr())
    return out, stats


@attention.register_fake
def _attention_fake(q, k, v, attention_id):
    if attention_id >= 0:
        _check_qkv(q, k, v, _registered_attention(attention_id))
    else:  # T may be symbolic: the spec is the real call's
        _check_qkv_shapes(q, k, v, "pixelfly_attention")
    batch, heads, tokens, d = q.shape
    return q.new_empty((batch, heads, tokens, d)), q.new_empty((batch, heads, tokens, 3))


def _check_attention_backward(q, k, v, out, stats, dout, att) -> None:
    """What the backward op checks, real or fake: q, k, v, and out, stats
    and dout of the shapes the forward gives."""
    _check_qkv(q, k, v, att)
    batch, heads, tokens, d = q.shape
    _check_attention_tensor("out", out, q.shape, att)
    _check_attention_tensor("stats", stats, (batch, heads, tokens, 3), att)
    _check_attention_tensor("dout", dout, q.shape, att)


@torch.library.custom_op("pfc::attention_backward", mutates_args=())
def attention_backward(q: Tensor, k: Tensor, v: Tensor, out: Tensor, stats: Tensor,
                       dout: Tensor, attention_id: int
                       ) -> Tuple[Tensor, Tensor, Tensor]:
    """(dq, dk, dv) = d(loss)/d(q, k, v) from the q, k, v of a forward, the
    out and stats it returned, and dout = d(loss)/d(out)."""
    attention_id = _resolve(attention_id, q, k, v)
    att = _registered_attention(attention_id)
    _check_attention_backward(q, k, v, out, stats, dout, att)
    batch, heads, tokens, d = q.shape
    q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
    out, stats, dout = out.contiguous(), stats.contiguous(), dout.contiguous()
    dq = torch.empty_like(q)
    dk = torch.empty_like(k)
    dv = torch.empty_like(v)
    if batch > 0 and tokens > 0:
        _attention(attention_id).backward(
            q.data_ptr(), k.data_ptr(), v.data_ptr(), batch, tokens,
            out.data_ptr(), stats.data_ptr(), dout.data_ptr(),
            dq.data_ptr(), dk.data_ptr(), dv.data_ptr())
    return dq, dk, dv


@attention_backward.register_fake
def _attention_backward_fake(q, k, v, out, stats, dout, attention_id):
    if attention_id >= 0:
        _check_attention_backward(q, k, v, out, stats, dout,
                                  _registered_attention(attention_id))
    else:
        _check_qkv_shapes(q, k, v, "pixelfly_attention")
    return q.new_empty(q.shape), q.new_empty(q.shape), q.new_empty(q.shape)


def _attention_setup_context(ctx, inputs, output):
    q, k, v, attention_id = inputs
    out, stats = output
    ctx.save_for_backward(q, k, v, out, stats)
    ctx.mark_non_differentiable(stats)
    ctx.attention_id = attention_id


def _attention_backward(ctx, dout, dstats):
    q, k, v, out, stats = ctx.saved_tensors
    if dout is None:
        dout = torch.zeros_like(out)
    dq, dk, dv = attention_backward(q, k, v, out, stats, dout, ctx.attention_id)
    needs = ctx.needs_input_grad
    return (dq if needs[0] else None, dk if needs[1] else None,
            dv if needs[2] else None, None)


attention.register_autograd(_attention_backward, setup_context=_attention_setup_context)
