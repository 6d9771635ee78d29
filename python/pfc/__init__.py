"""pfc for PyTorch: Pixelated Butterfly (Pixelfly) layers on pfc's compiled
CPU kernels.

    import pfc
    layer = pfc.PixelflyLinear(768, 3072, block=32, butterfly_size=16,
                               strides=[2, 4], rank=32)
    y = layer(x)                                  # x: float32 [..., 768]
    pfc.save_safetensors("p.safetensors", layer.state_dict())
    pfc.plan(model, budget=0.25)     # the planner's table, model unchanged
    pfc.pixelfly(model, budget=0.25) # its nn.Linear layers become Pixelfly
    # build/bin/pfc run SPEC --params p.safetensors ... accepts the file

    attn = pfc.PixelflyAttention(1024, 12, 64, butterfly_size=16, factors=2,
                                 features=64, is_causal=True)
    o = attn(q, k, v)                             # [batch, 12, T <= 1024, 64]
    o = pfc.pixelfly_attention(q, k, v, is_causal=True, features=64)

The ops are ``torch.ops.pfc.linear``, ``torch.ops.pfc.linear_backward``,
``torch.ops.pfc.attention`` and ``torch.ops.pfc.attention_backward`` (see
pfc._ops).
"""

from __future__ import annotations

import os
from typing import Dict, Mapping, Optional, Union

import numpy as np
import torch

from . import _pfc
from ._pfc import AttentionSpec, Spec
from ._ops import (attention, attention_backward, attention_spec, layer_spec, linear,
                   linear_backward, register_attention, register_layer)
from .nn import (PixelflyAttention, PixelflyLinear, attention_spec_text, clamp_gamma_,
                 default_butterfly_size, pixelfly_attention, spec_text)
from .planning import Plan, PlanRow, pixelfly, plan

__all__ = [
    "AttentionSpec",
    "PixelflyAttention",
    "PixelflyLinear",
    "Plan",
    "PlanRow",
    "Spec",
    "attention",
    "attention_backward",
    "attention_spec",
    "attention_spec_text",
    "clamp_gamma_",
    "default_butterfly_size",
    "linear",
    "linear_backward",
    "pixelfly",
    "pixelfly_attention",
    "plan",
    "register_attention",
    "register_layer",
    "layer_spec",
    "spec_text",
    "use_torch_threads",
    "save_safetensors",
    "load_safetensors",
]

__version__ = "0.1.0"


_threads_runtime = ""


def use_torch_threads(enabled: Optional[bool] = True) -> str:
    """Whether pfc's kernels run on the OpenMP threads torch runs its own ops
    on (the default, set at import) or on pfc's own thread pool; ``None``
    only asks. Sharing them matters: an OpenMP thread that torch leaves idle
    spins for milliseconds, and pfc's threads beside it compete for the same
    cores (a Fashion-MNIST training step with PixelflyLinear layers took
    1.6x as long). Only a torch whose parallel backend is OpenMP is shared
    with. Returns the OpenMP library in use, or '' for pfc's pool."""
    global _threads_runtime
    if enabled is None:
        return _threads_runtime
    _threads_runtime = ""
    if enabled and "parallel backend: OpenMP" in torch.__config__.parallel_info():
        _threads_runtime = _pfc.share_host_threads()
    if not _threads_runtime:
        _pfc.stop_sharing_host_threads()
    return _threads_runtime


use_torch_threads()


def save_safetensors(path: Union[str, os.PathLike],
                     tensors: Mapping[str, torch.Tensor],
                     metadata: Optional[Mapping[str, str]] = None) -> None:
    """Writes float32 tensors (a state_dict) as a safetensors file, atomically
    (a temporary file renamed over ``path``). Other dtypes raise ValueError."""
    arrays = {}
    for name, t in tensors.items():
        t = torch.as_tensor(t)
        if t.dtype != torch.float32:
            raise ValueError(
                f"pfc: tensor {name} is {t.dtype} (expected torch.float32)")
        arrays[name] = t.detach().cpu().contiguous().numpy()
    _pfc.write_safetensors(os.fspath(path), arrays, dict(metadata or {}))


def load_safetensors(path: Union[str, os.PathLike]) -> Dict[str, torch.Tensor]:
    """Reads a float32 safetensors file (``pfc init``'s, a checkpoint) into a
    dict of tensors, for ``load_state_dict``. Errors raise ValueError."""
    arrays, _ = _pfc.read_safetensors(os.fspath(path))
    return {name: torch.from_numpy(a) for name, a in arrays.items()}
