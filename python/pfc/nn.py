"""``PixelflyLinear`` and ``PixelflyAttention``: torch modules running pfc's
compiled kernels, and ``pixelfly_attention``, the functional form of the
latter."""

from __future__ import annotations

import math
import os
from typing import Optional, Sequence, Union

import numpy as np
import torch
from torch import Tensor, nn

from . import _ops, _pfc

__all__ = ["PixelflyLinear", "PixelflyAttention", "attention_spec_text",
           "clamp_gamma_", "default_butterfly_size", "pixelfly_attention",
           "spec_text"]

_GAMMA_MODES = ("scalar", "gate", "fixed")


def _check_gamma(gamma) -> None:
    if gamma not in _GAMMA_MODES:
        raise ValueError(
            f"pfc: gamma is {gamma!r} (expected one of {', '.join(_GAMMA_MODES)})")


def spec_text(
    in_features: int,
    out_features: int,
    block: int = 32,
    butterfly_size: int = 2,
    strides: Optional[Sequence[int]] = None,
    factors: Optional[int] = None,
    shuffle: bool = False,
    global_features: int = 0,
    rank: int = 0,
    gamma: str = "scalar",
    gamma_init: float = 0.5,
    bias: bool = True,
    name: str = "pixelfly",
) -> str:
    """The ``pfc: 1`` layer spec text of these arguments (not yet checked:
    pfc's parser checks it). Without ``strides`` or ``factors``, the
    butterfly has every factor: strides 2, 4, ..., ``butterfly_size``."""
    if strides is not None and factors is not None:
        raise ValueError("pfc: give strides or factors, not both")
    if strides is None and factors is None:
        factors = max(1, int(butterfly_size).bit_length() - 1)

    def boolean(value) -> str:
        return "true" if value else "false"

    lines = [
        "pfc: 1",
        "layer:",
        f"  name: {name}",
        f"  in_features: {int(in_features)}",
        f"  out_features: {int(out_features)}",
        f"  block: {int(block)}",
        "  butterfly:",
        f"    size: {int(butterfly_size)}",
        (f"    strides: [{', '.join(str(int(k)) for k in strides)}]"
         if strides is not None else f"    factors: {int(factors)}"),
        f"    shuffle: {boolean(shuffle)}",
        f"    global: {int(global_features)}",
        "  lowrank:",
        f"    rank: {int(rank)}",
        "  gamma:",
        f"    mode: {gamma}",
        f"    init: {float(gamma_init)!r}",
        f"  bias: {boolean(bias)}",
        "  dtype: f32",
    ]
    return "\n".join(lines) + "\n"


def _block_slices(spec: dict):
    """(rows, columns) of each block of the spec's BSR list in the padded
    weight [padded_out, padded_in]."""
    b = spec["block"]
    for r, c in spec["blocks"]:
        yield slice(r * b, (r + 1) * b), slice(c * b, (c + 1) * b)


def _dense_from_blocks(spec: dict, blocks: Tensor) -> Tensor:
    """The padded weight holding `blocks` [nnz, b, b] on the pattern, 0 off it."""
    dense = torch.zeros(spec["padded_out"], spec["padded_in"], dtype=blocks.dtype)
    for n, (rows, cols) in enumerate(_block_slices(spec)):
        dense[rows, cols] = blocks[n]
    return dense


def _blocks_from_dense(spec: dict, dense: Tensor) -> Tensor:
    """The blocks [nnz, b, b] of a padded weight, in BSR order."""
    return torch.stack([dense[rows, cols] for rows, cols in _block_slices(spec)])


class _Gate(nn.Module):
    """γ(x) = 1 − sigmoid(x·weight + bias): pfc's per-token gate."""

    def __init__(self, in_features: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(in_features))
        self.bias = nn.Parameter(torch.zeros(()))

    def forward(self, x: Tensor) -> Tensor:
        return 1.0 - torch.sigmoid(x @ self.weight + self.bias)


class PixelflyLinear(nn.Module):
    """y = γ·(x·Bᵀ) + (1−γ)·((x·V)·Uᵀ) + bias, on pfc's compiled CPU kernels.

    B is block-sparse on a flat butterfly pattern (``blocks``, [nnz, b, b] in
    BSR order over the weight padded to multiples of b), U [out, r] and
    V [in, r] the low-rank term, γ a learned scalar (``gamma``), a learned
    per-token gate (``gate.weight``, ``gate.bias``) or a fixed constant (a
    buffer ``gamma``). The parameter names and shapes are those of
    ``pfc init``'s safetensors files, so ``state_dict()`` can be saved with
    ``pfc.save_safetensors`` and run by ``pfc run --params``.

    Inputs: float32 CPU tensors of shape [..., in_features].
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        block: int = 32,
        butterfly_size: int = 2,
        strides: Optional[Sequence[int]] = None,
        shuffle: bool = False,
        global_features: int = 0,
        rank: Optional[int] = None,
        gamma: str = "scalar",
        gamma_init: float = 0.5,
        bias: bool = True,
        seed: Optional[int] = None,
        *,
        factors: Optional[int] = None,
        name: str = "pixelfly",
        _spec: Optional[tuple] = None,
    ):
        super().__init__()
        if _spec is not None:
            text, source = _spec
        else:
            _check_gamma(gamma)
            if rank is None:
                rank = min(32, int(in_features), int(out_features))
            text = spec_text(in_features, out_features, block, butterfly_size,
                             strides, factors, shuffle, global_features, rank,
                             gamma, gamma_init, bias, name)
            source = "<PixelflyLinear>"
        self.layer_id = _ops.register_layer(text, source)
        spec = _ops.layer_spec(self.layer_id)
        self.spec = spec.info
        self.spec_text = spec.canonical
        self.in_features = self.spec["in_features"]
        self.out_features = self.spec["out_features"]
        self.gamma_mode = self.spec["gamma_mode"]

        if seed is None:
            seed = int(torch.randint(0, 2**62, ()).item())
        values = {k: torch.from_numpy(v) for k, v in spec.init_params(int(seed)).items()}
        self.blocks = nn.Parameter(values["blocks"])
        if self.spec["rank"] > 0:
            self.U = nn.Parameter(values["U"])
            self.V = nn.Parameter(values["V"])
        else:
            self.register_parameter("U", None)
            self.register_parameter("V", None)
        if self.gamma_mode == "scalar":
            self.gamma = nn.Parameter(values["gamma"])
        elif self.gamma_mode == "fixed":
            # Compiled into the kernel as a constant: saved, never trained.
            self.register_buffer("gamma", values["gamma"])
        else:
            self.register_parameter("gamma", None)
        if self.gamma_mode == "gate":
            self.gate = _Gate(self.in_features)
            with torch.no_grad():
                self.gate.weight.copy_(values["gate.weight"])
                self.gate.bias.copy_(values["gate.bias"])
        else:
            self.gate = None
        if self.spec["bias"]:
            self.bias = nn.Parameter(values["bias"])
        else:
            self.register_parameter("bias", None)

    # -- construction -------------------------------------------------------

    @classmethod
    def from_spec(cls, path_or_text: Union[str, os.PathLike], seed: Optional[int] = None
                  ) -> "PixelflyLinear":
        """A layer from a ``pfc: 1`` layer spec: a file path or the YAML text.
        Errors are ValueError with ``file:line:col: error: ...``."""
        text = os.fspath(path_or_text)
        if "\n" not in text and os.path.exists(text):
            with open(text, "r", encoding="utf-8") as f:
                return cls(0, 0, seed=seed, _spec=(f.read(), text))
        return cls(0, 0, seed=seed, _spec=(text, "<spec>"))

    @classmethod
    def from_linear(
        cls,
        linear: nn.Linear,
        block: int = 32,
        butterfly_size: int = 2,
        strides: Optional[Sequence[int]] = None,
        shuffle: bool = False,
        global_features: int = 0,
        rank: Optional[int] = None,
        gamma: str = "scalar",
        gamma_init: float = 0.5,
        *,
        factors: Optional[int] = None,
        name: str = "pixelfly",
        spec: Optional[Union[str, os.PathLike]] = None,
    ) -> "PixelflyLinear":
        """Approximates a dense ``nn.Linear``: B is its weight on the pattern
        (divided by γ), U·Vᵀ the rank-r truncated SVD of the rest (divided by
        1 − γ), so that γ·B + (1−γ)·U·Vᵀ is the best such approximation of
        the weight. In gate mode the gate starts constant at ``gamma_init``
        (weight 0). With γ = 0 or 1 (fixed) only one of the terms is used.

        The pattern comes from the arguments, or from ``spec`` (a layer spec
        file or text, as ``from_spec`` takes; the other pattern arguments
        are then ignored), whose features and bias must be the layer's."""
        weight = linear.weight.detach().to(torch.float64)
        out_features, in_features = weight.shape
        if spec is not None:
            layer = cls.from_spec(spec, seed=0)
            got = (layer.in_features, layer.out_features, layer.spec["bias"])
            want = (in_features, out_features, linear.bias is not None)
            if got != want:
                raise ValueError(
                    f"pfc: the spec is in={got[0]} out={got[1]} bias={got[2]}, the "
                    f"linear layer in={want[0]} out={want[1]} bias={want[2]}")
        else:
            layer = cls(in_features, out_features, block, butterfly_size, strides,
                        shuffle, global_features, rank, gamma, gamma_init,
                        linear.bias is not None, seed=0, factors=factors, name=name)
        spec = layer.spec
        b = spec["block"]
        g = float(spec["gamma_init"])
        ones = torch.ones(spec["nnz_blocks"], b, b, dtype=torch.bool)
        mask = _dense_from_blocks(spec, ones)[:out_features, :in_features]
        on = torch.where(mask, weight, torch.zeros_like(weight))
        off = weight - on
        padded = torch.zeros(spec["padded_out"], spec["padded_in"], dtype=torch.float64)
        if g > 0:
            padded[:out_features, :in_features] = on / g
        blocks = _blocks_from_dense(spec, padded)
        with torch.no_grad():
            layer.blocks.copy_(blocks)
            if layer.U is not None:
                k = spec["rank"]
                if g < 1:
                    u, s, vh = torch.linalg.svd(off / (1 - g), full_matrices=False)
                    root = s[:k].sqrt()
                    layer.U.copy_(u[:, :k] * root)
                    layer.V.copy_(vh[:k].T * root)
                else:
                    layer.U.zero_()
                    layer.V.zero_()
            if layer.gate is not None:
                layer.gate.weight.zero_()
                gg = min(max(g, 1e-6), 1 - 1e-6)
                layer.gate.bias.fill_(math.log((1 - gg) / gg))
            elif spec["gamma_mode"] == "scalar":
                layer.gamma.fill_(g)
            if layer.bias is not None:
                layer.bias.copy_(linear.bias.detach())
        return layer

    # -- running ------------------------------------------------------------

    def forward(self, x: Tensor) -> Tensor:
        gate = self.gate
        return torch.ops.pfc.linear(
            x, self.blocks, self.U, self.V, self.gamma,
            gate.weight if gate is not None else None,
            gate.bias if gate is not None else None,
            self.bias, self.layer_id)

    def dense_weight(self, gamma: Optional[float] = None) -> Tensor:
        """The dense [out, in] weight γ·B + (1−γ)·U·Vᵀ (for debugging). In
        gate mode γ depends on the input: pass ``gamma``, else the gate's
        value at x = 0, 1 − sigmoid(gate.bias), is used."""
        with torch.no_grad():
            dense = _dense_from_blocks(self.spec, self.blocks)
            dense = dense[:self.out_features, :self.in_features]
            if gamma is None:
                if self.gate is not None:
                    gamma = float(1 - torch.sigmoid(self.gate.bias))
                else:
                    gamma = float(self.gamma)
            weight = gamma * dense
            if self.U is not None:
                weight = weight + (1 - gamma) * (self.U @ self.V.T)
        return weight

    def extra_repr(self) -> str:
        s = self.spec
        bf = s["butterfly"]
        pattern = f"S={bf['size']} k={','.join(str(k) for k in bf['strides'])}"
        if bf["shuffle"]:
            pattern += " shuffle"
        if bf["global"]:
            pattern += f" global={bf['global']}"
        gamma = s["gamma_mode"]
        if gamma == "fixed":
            gamma += f"={s['gamma_init']:g}"
        return (f"in_features={s['in_features']}, out_features={s['out_features']}, "
                f"block={s['block']}, pattern='{pattern}', "
                f"density={s['density']:.4f} ({s['nnz_blocks']} blocks), "
                f"rank={s['rank']}, gamma={gamma}, bias={s['bias']}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                              missing_keys, unexpected_keys, error_msgs):
        if self.gamma_mode == "fixed":
            gamma = state_dict.get(prefix + "gamma")
            expected = torch.tensor(self.spec["gamma_init"], dtype=torch.float32)
            if gamma is not None and not torch.equal(
                    torch.as_tensor(gamma, dtype=torch.float32).reshape(()), expected):
                error_msgs.append(
                    f"{prefix}gamma is {float(gamma):g}, but this layer's γ is fixed at "
                    f"{self.spec['gamma_init']:g} by its spec (compiled into the kernel)")
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)

    # -- pickling: layer ids are per process ---------------------------------

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("layer_id", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.layer_id = _ops.register_layer(self.spec_text, "<pickled>")


def clamp_gamma_(model: nn.Module) -> nn.Module:
    """Clamps the learned scalar γ of every ``PixelflyLinear`` in ``model``
    to [0, 1], in place, as ``pfc train`` does after each optimizer step (γ
    weighs B against U·Vᵀ; an optimizer step can push it outside). Call it
    after ``optimizer.step()``. Returns ``model``."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, PixelflyLinear) and module.gamma_mode == "scalar":
                module.gamma.clamp_(0.0, 1.0)
    return model


# -- attention ----------------------------------------------------------------


def _padded(tokens: int, block: int) -> int:
    return -(-int(tokens) // int(block)) * int(block) if block > 0 else int(tokens)


def default_butterfly_size(seq_len: int, block: int = 64) -> int:
    """The butterfly size an attention pattern gets when none is given: the
    largest power of two S that is at most the number of blocks of the padded
    sequence (a coarse cell spans at least one block) and divides the padded
    length; at least 2."""
    padded = _padded(max(1, seq_len), block)
    blocks = padded // block if block > 0 else 1
    size = 2
    while size * 2 <= blocks and padded % (size * 2) == 0:
        size *= 2
    return size


def attention_spec_text(
    seq_len: int,
    heads: int,
    head_dim: int,
    *,
    block: int = 64,
    butterfly_size: Optional[int] = None,
    factors: Optional[int] = None,
    strides: Optional[Sequence[int]] = None,
    shuffle: bool = False,
    global_tokens: int = 0,
    features: int = 0,
    causal: bool = False,
    seed: int = 0,
    scale: Optional[float] = None,
    name: str = "pixelfly_attention",
) -> str:
    """The ``pfc: 1`` attention spec text of these arguments (not yet
    checked: pfc's parser checks it). ``butterfly_size`` None picks
    ``default_butterfly_size(seq_len, block)``; 0 is ``butterfly: none`` (no
    exact part: Performer attention, needs features > 0). Without
    ``strides`` or ``factors`` the butterfly has every factor: strides 2, 4,
    ..., S."""
    if strides is not None and factors is not None:
        raise ValueError("pfc: give strides or factors, not both")
    if butterfly_size is None:
        butterfly_size = default_butterfly_size(seq_len, block)

    def boolean(value) -> str:
        return "true" if value else "false"

    lines = [
        "pfc: 1",
        "attention:",
        f"  name: {name}",
        f"  seq_len: {int(seq_len)}",
        f"  heads: {int(heads)}",
        f"  head_dim: {int(head_dim)}",
        f"  block: {int(block)}",
    ]
    if int(butterfly_size) == 0:
        if strides is not None or factors is not None or shuffle or global_tokens:
            raise ValueError(
                "pfc: butterfly_size=0 (no support) takes no strides, factors, "
                "shuffle or global tokens")
        lines.append("  butterfly: none")
    else:
        if strides is None and factors is None:
            factors = max(1, int(butterfly_size).bit_length() - 1)
        lines += [
            "  butterfly:",
            f"    size: {int(butterfly_size)}",
            (f"    strides: [{', '.join(str(int(k)) for k in strides)}]"
             if strides is not None else f"    factors: {int(factors)}"),
            f"    shuffle: {boolean(shuffle)}",
            f"    global: {int(global_tokens)}",
        ]
    lines += [
        f"  features: {int(features)}",
        f"  causal: {boolean(causal)}",
        f"  seed: {int(seed)}",
    ]
    if scale is not None:
        lines.append(f"  scale: {float(scale)!r}")
    lines.append("  dtype: f32")
    return "\n".join(lines) + "\n"


def _attention_pattern(info: dict) -> str:
    bf = info["butterfly"]
    if bf is None:
        return "none"
    pattern = f"S={bf['size']} k={','.join(str(k) for k in bf['strides'])}"
    if bf["shuffle"]:
        pattern += " shuffle"
    if bf["global"]:
        pattern += f" global={bf['global']}"
    return pattern


class PixelflyAttention(nn.Module):
    """Pixelfly attention (docs/ATTENTION.md) on pfc's compiled CPU kernels:
    exact softmax scores on a flat block-butterfly support over blocks of
    tokens, Performer's positive random features for every other score,
    normalized together.

    ``forward(q, k, v)`` takes float32 CPU tensors of one shape
    [batch, num_heads, T, head_dim], T <= seq_len (a shorter call uses the
    leading part of the pattern), and returns the output of that shape, as
    ``F.scaled_dot_product_attention(q, k, v, is_causal=...)`` does (which it
    equals when the support covers every score and features=0).

    The random features' matrix W [features/2, head_dim] is fixed by the seed
    (never trained): the non-persistent buffer ``features``, what the kernel
    uses.
    """

    def __init__(
        self,
        seq_len: int,
        num_heads: int,
        head_dim: int,
        *,
        block: int = 64,
        butterfly_size: Optional[int] = None,
        factors: Optional[int] = None,
        strides: Optional[Sequence[int]] = None,
        shuffle: bool = False,
        global_tokens: int = 0,
        features: int = 0,
        is_causal: bool = False,
        seed: int = 0,
        scale: Optional[float] = None,
        name: str = "pixelfly_attention",
        _spec: Optional[tuple] = None,
    ):
        super().__init__()
        if _spec is not None:
            text, source = _spec
        else:
            text = attention_spec_text(
                seq_len, num_heads, head_dim, block=block,
                butterfly_size=butterfly_size, factors=factors, strides=strides,
                shuffle=shuffle, global_tokens=global_tokens, features=features,
                causal=is_causal, seed=seed, scale=scale, name=name)
            source = "<PixelflyAttention>"
        self.attention_id = _ops.register_attention(text, source)
        spec = _ops.attention_spec(self.attention_id)
        self.spec = spec.info
        self.spec_text = spec.canonical
        self.seq_len = self.spec["seq_len"]
        self.num_heads = self.spec["heads"]
        self.head_dim = self.spec["head_dim"]
        self.num_features = self.spec["features"]
        self.is_causal = self.spec["causal"]
        self.scale = self.spec["scale"]
        self.register_buffer("features", torch.from_numpy(spec.random_features()),
                             persistent=False)

    @classmethod
    def from_spec(cls, path_or_text: Union[str, os.PathLike]) -> "PixelflyAttention":
        """A module from a ``pfc: 1`` attention spec: a file path or the YAML
        text. Errors are ValueError with ``file:line:col: error: ...``."""
        text = os.fspath(path_or_text)
        if "\n" not in text and os.path.exists(text):
            with open(text, "r", encoding="utf-8") as f:
                return cls(0, 0, 0, _spec=(f.read(), text))
        return cls(0, 0, 0, _spec=(text, "<spec>"))

    def forward(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        return torch.ops.pfc.attention(q, k, v, self.attention_id)[0]

    def extra_repr(self) -> str:
        s = self.spec
        return (f"seq_len={s['seq_len']}, heads={s['heads']}, head_dim={s['head_dim']}, "
                f"block={s['block']}, pattern='{_attention_pattern(s)}', "
                f"density={s['density']:.4f} ({s['nnz_blocks']} of {s['area_blocks']} "
                f"blocks), m={s['features']}, causal={s['causal']}, "
                f"scale={s['scale']:.6g}, seed={s['seed']}")

    # -- pickling: attention ids are per process ------------------------------

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("attention_id", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.attention_id = _ops.register_attention(self.spec_text, "<pickled>")


@torch.compiler.assume_constant_result
def _functional_pattern_id(block: int, butterfly_size, factors, strides, shuffle: bool,
                           global_tokens: int, features: int, causal: bool, seed: int,
                           scale) -> int:
    """The attention pattern id of pixelfly_attention's arguments: a constant
    while tracing (it depends on no shape)."""
    key = ("pixelfly_attention", block, butterfly_size, factors, strides, shuffle,
           global_tokens, features, causal, seed, scale)

    def make_text(seq_len: int, heads: int, head_dim: int) -> str:
        return attention_spec_text(
            seq_len, heads, head_dim, block=block, butterfly_size=butterfly_size,
            factors=factors, strides=strides, shuffle=shuffle,
            global_tokens=global_tokens, features=features, causal=causal, seed=seed,
            scale=scale)

    return _ops.register_attention_pattern(key, block, make_text, "<pixelfly_attention>")


def pixelfly_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    *,
    is_causal: bool = False,
    block: int = 64,
    butterfly_size: Optional[int] = None,
    factors: Optional[int] = None,
    strides: Optional[Sequence[int]] = None,
    shuffle: bool = False,
    global_tokens: int = 0,
    features: int = 0,
    seed: int = 0,
    scale: Optional[float] = None,
) -> Tensor:
    """Pixelfly attention of q, k, v [batch, heads, T, d] (float32, CPU): the
    shapes and arguments of ``F.scaled_dot_product_attention(q, k, v,
    is_causal=..., scale=...)`` plus the pattern's.

    The pattern is laid over T rounded up to whole blocks of ``block``
    tokens (the spec's seq_len), so every T with the same number of blocks
    shares one pattern and one compiled kernel. ``butterfly_size`` (S) must
    divide that padded length; None takes the largest power of two that
    does and is at most its number of blocks (``default_butterfly_size``);
    0 means no exact part (Performer attention; needs ``features`` > 0).
    ``factors`` or ``strides`` select the butterfly factors (default: all,
    2..S); ``global_tokens`` leading tokens attend and are attended
    everywhere; ``features`` (m, even) random features drawn from ``seed``
    estimate the scores outside the support. Bad arguments raise ValueError
    with pfc's diagnostic.
    """
    if int(block) <= 0:
        raise ValueError(f"pfc: block is {block} (expected a power of two in [4, 256])")
    if strides is not None and factors is not None:
        raise ValueError("pfc: give strides or factors, not both")
    pattern_id = _functional_pattern_id(
        int(block),
        None if butterfly_size is None else int(butterfly_size),
        None if factors is None else int(factors),
        None if strides is None else tuple(int(s) for s in strides),
        bool(shuffle), int(global_tokens), int(features), bool(is_causal),
        int(seed), None if scale is None else float(scale))
    return torch.ops.pfc.attention(q, k, v, pattern_id)[0]
