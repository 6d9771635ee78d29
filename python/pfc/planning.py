"""``pfc.plan`` and ``pfc.pixelfly``: the budget planner on a PyTorch model.

The model's ``nn.Linear`` layers become the layers of a ``pfc: 1`` model
spec, which pfc's planner allocates exactly as ``pfc plan`` does (the
paper's section 4: every layer gets the same fraction of its dense cost,
a share of it for the low-rank term, the densest butterfly pattern in the
rest). Layers that differ only in a numeric index (``blocks.0.fc1``,
``blocks.1.fc1``, ...) and have the same shape are one row of the table,
``blocks.*.fc1`` with their count, as in the shipped model specs.
"""

from __future__ import annotations

import fnmatch
import re
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, TextIO, Union

import torch
from torch import nn

from . import _pfc
from .nn import PixelflyLinear, _check_gamma

__all__ = ["Plan", "PlanRow", "plan", "pixelfly"]

Patterns = Union[str, Sequence[str], None]


@dataclass
class PlanRow:
    """One row of a plan: layers of one shape whose names differ only in
    their numeric parts. ``modules`` are their names in the model."""

    name: str
    in_features: int
    out_features: int
    bias: bool
    modules: List[str]
    sparse: bool = False
    butterfly: str = "dense"
    rank: int = 0
    density: float = 1.0
    nnz_blocks: int = 0
    note: str = ""
    spec: Optional[str] = None  # the planned layer spec (sparse rows)
    cost: Dict[str, float] = field(default_factory=dict)
    dense: Dict[str, float] = field(default_factory=dict)


@dataclass
class Plan:
    """The planner's allocation for a model. ``str(plan)`` is the table
    ``pfc plan`` prints; ``rows`` hold its figures, ``total`` and
    ``dense_total`` the whole model's params, FLOPs per token and cost."""

    name: str
    budget: float
    rows: List[PlanRow]
    total: Dict[str, float]
    dense_total: Dict[str, float]
    table: str

    def __str__(self) -> str:
        return self.table

    def row(self, module_name: str) -> PlanRow:
        """The row that holds the module named ``module_name``."""
        for r in self.rows:
            if module_name in r.modules:
                return r
        raise KeyError(f"pfc: no planned layer is named {module_name!r}")


#: What the spec language accepts as a name (YamlReader::readName).
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")


def _number(what: str, value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"pfc: {what} is {value!r} (expected a number)") from None


def _patterns(value: Patterns, what: str) -> List[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    patterns = list(value)
    if not all(isinstance(p, str) for p in patterns):
        raise ValueError(f"pfc: {what} must be a module-name pattern or a list of them")
    return patterns


def _matches(name: str, patterns: List[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _spec_name(row_name: str, taken: set) -> str:
    """A name the spec language accepts (1-64 of letters, digits, '_', '-',
    '.', starting with a letter or '_'), unique among `taken`."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", row_name.replace("*", "N"))
    if not _NAME.match(name):
        name = "_" + name
    name = name[:60]
    unique, n = name, 1
    while unique in taken:
        unique, n = f"{name}-{n}", n + 1
    taken.add(unique)
    return unique


def _wildcard(module_name: str) -> str:
    return ".".join("*" if part.isdigit() else part for part in module_name.split("."))


def _name_rows(rows: List[PlanRow]) -> None:
    """Names each row by its modules' common name, with '*' where they
    differ (``blocks.*.fc1``); rows whose names would still be equal get a
    suffix ``[2]``, ``[3]``, ... in order."""
    seen: Dict[str, int] = {}
    for row in rows:
        parts = [name.split(".") for name in row.modules]
        name = ".".join(p[0] if all(q[i] == p[0] for q in parts) else "*"
                        for i, p in enumerate(zip(*parts)))
        seen[name] = seen.get(name, 0) + 1
        row.name = name if seen[name] == 1 else f"{name}[{seen[name]}]"


def _collect(model: nn.Module, include: List[str], exclude: List[str]):
    """The model's linear layers grouped into rows, each with the reason it
    stays dense ('' when it is planned), and the model's other parameters."""
    owners: Dict[int, List[str]] = {}
    for module_name, module in model.named_modules(remove_duplicate=False):
        for pname, p in module.named_parameters(recurse=False):
            owners.setdefault(id(p), []).append(
                f"{module_name}.{pname}" if module_name else pname)

    rows: Dict[tuple, PlanRow] = {}
    reasons: Dict[tuple, str] = {}
    counted = 0  # parameters the rows count (a weight shared by two, twice)
    for module_name, module in model.named_modules():
        if not isinstance(module, nn.Linear):
            continue
        if isinstance(module.weight, nn.parameter.UninitializedParameter):
            raise ValueError(f"pfc: {module_name} is an uninitialized lazy layer: run a "
                             "forward pass first, so that it has its shape")
        counted += module.in_features * module.out_features + (
            module.out_features if module.bias is not None else 0)
        reason = ""
        # A weight used elsewhere (tied to an embedding, or the module itself
        # registered twice) would be untied by a replacement.
        shared = [o for o in owners.get(id(module.weight), [])
                  if o != f"{module_name}.weight"]
        if module._parameters.get("weight") is not module.weight:
            reason = ("its weight is computed (weight_norm, pruning or a "
                      "parametrization): kept dense")
        elif type(module) is not nn.Linear:
            reason = f"a subclass of nn.Linear ({type(module).__name__}): kept dense"
        elif shared:
            reason = f"its weight is shared with {shared[0]}: kept dense"
        elif module._forward_hooks or module._forward_pre_hooks:
            reason = "it has forward hooks, which a replacement would drop: kept dense"
        elif include and not _matches(module_name, include):
            reason = "not included: kept dense"
        elif _matches(module_name, exclude):
            reason = "excluded: kept dense"
        key = (_wildcard(module_name), module.in_features, module.out_features,
               module.bias is not None, reason)
        if key not in rows:
            rows[key] = PlanRow("", module.in_features, module.out_features,
                                module.bias is not None, [])
            reasons[key] = reason
        rows[key].modules.append(module_name)
    _name_rows(list(rows.values()))
    extra = max(0, sum(p.numel() for p in model.parameters()) - counted)
    return [(row, reasons[key]) for key, row in rows.items()], extra


def _model_text(name: str, budget: float, block: int, lowrank_share: float,
                cost_mem: float, cost_flop: float, extra: int, gamma: str,
                gamma_init: float, rows) -> str:
    lines = [
        "pfc: 1",
        "model:",
        f"  name: {name}",
        f"  budget: {float(budget)!r}",
        f"  block: {int(block)}",
        f"  lowrank_share: {float(lowrank_share)!r}",
        f"  cost: {{mem: {float(cost_mem)!r}, flop: {float(cost_flop)!r}}}",
        f"  extra_params: {int(extra)}",
        f"  gamma: {{mode: {gamma}, init: {float(gamma_init)!r}}}",
        "  layers:",
    ]
    taken: set = set()
    for row, reason in rows:
        lines.append(
            f"    - {{name: {_spec_name(row.name, taken)}, in_features: {row.in_features}, "
            f"out_features: {row.out_features}, repeat: {len(row.modules)}, "
            f"bias: {'true' if row.bias else 'false'}, "
            f"dense: {'true' if reason else 'false'}}}")
    return "\n".join(lines) + "\n"


def plan(
    model: nn.Module,
    budget: float,
    *,
    block: int = 32,
    lowrank_share: float = 0.25,
    gamma: str = "scalar",
    gamma_init: float = 0.5,
    include: Patterns = None,
    exclude: Patterns = None,
    cost_mem: float = 1.0,
    cost_flop: float = 1.0,
    name: Optional[str] = None,
    file: Optional[TextIO] = None,
    quiet: bool = False,
) -> Plan:
    """Plans ``model``'s ``nn.Linear`` layers within ``budget`` (a fraction
    of the dense cost, in (0, 1]) and prints the table (to ``file``,
    default stdout, unless ``quiet``); the model is not changed.

    ``include`` and ``exclude`` are module-name patterns (fnmatch, e.g.
    ``"blocks.*.mlp.*"``): with ``include``, only matching layers are
    planned; matching ``exclude`` keeps a layer dense (classifier heads, as
    in the paper). Dense layers and the parameters outside linear layers
    count in the totals (a weight that two linear layers share, in both). Subclasses of ``nn.Linear`` (e.g. the output
    projection of ``nn.MultiheadAttention``, whose weight is read directly)
    and weights shared with another module stay dense. ``block``,
    ``lowrank_share``, ``gamma``, ``gamma_init`` and the cost weights are
    those of a model spec. Bad arguments raise ValueError."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"pfc: plan takes an nn.Module, not {type(model).__name__}")
    if isinstance(model, nn.Linear):
        raise ValueError("pfc: the model is itself an nn.Linear: convert it with "
                         "pfc.PixelflyLinear.from_linear")
    budget, lowrank_share, gamma_init, cost_mem, cost_flop = (
        _number(key, value) for key, value in (
            ("budget", budget), ("lowrank_share", lowrank_share),
            ("gamma_init", gamma_init), ("cost_mem", cost_mem), ("cost_flop", cost_flop)))
    if isinstance(block, bool) or not isinstance(block, int):
        raise ValueError(f"pfc: block is {block!r} (expected an integer)")
    _check_gamma(gamma)
    rows, extra = _collect(model, _patterns(include, "include"),
                           _patterns(exclude, "exclude"))
    if not rows:
        raise ValueError(f"pfc: {type(model).__name__} has no nn.Linear layer to plan")
    if name is None:
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", type(model).__name__) or "model"
    elif not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"pfc: name is {name!r} (expected 1 to 64 letters, digits, "
                         "'_', '-' or '.', starting with a letter or '_')")
    text = _model_text(name, budget, block, lowrank_share, cost_mem, cost_flop,
                       extra, gamma, gamma_init, rows)
    planned = _pfc.plan_model(text, "<pfc.plan>",
                              [(row.name, reason) for row, reason in rows])
    for (row, _), figures in zip(rows, planned["layers"]):
        for key in ("sparse", "butterfly", "rank", "density", "nnz_blocks",
                    "note", "spec", "cost", "dense"):
            setattr(row, key, figures[key])
    result = Plan(planned["name"], planned["budget"], [row for row, _ in rows],
                  planned["total"], planned["dense_total"], planned["table"])
    if not quiet:
        print(result.table, end="", file=file if file is not None else sys.stdout)
    return result


def pixelfly(model: nn.Module, budget: float, **options) -> Plan:
    """Replaces ``model``'s ``nn.Linear`` layers in place by the
    ``PixelflyLinear`` layers that ``plan(model, budget, **options)``
    allocates, and returns that plan (its table is ``str(plan)``; it is
    printed only with ``quiet=False``).

    Each new layer approximates the dense one it replaces
    (``PixelflyLinear.from_linear``: the weight on the pattern, the rank-r
    SVD of the rest), so a trained model keeps most of what it learned; it
    keeps the dense layer's training mode and, if frozen, stays frozen. The
    layers must be float32 on the CPU; nothing is replaced unless all of
    them can be."""
    options.setdefault("quiet", True)
    result = plan(model, budget, **options)
    modules = dict(model.named_modules())
    targets = [(name, row) for row in result.rows if row.sparse for name in row.modules]
    for name, _ in targets:
        weight = modules[name].weight
        if weight.device.type != "cpu" or weight.dtype != torch.float32:
            raise ValueError(
                f"pfc: {name} is {weight.dtype} on {weight.device}; pfc.pixelfly "
                "replaces float32 CPU layers (move the model with .float().cpu() first)")
    replaced = [(name, PixelflyLinear.from_linear(modules[name], spec=row.spec))
                for name, row in targets]
    for name, layer in replaced:
        parent_name, _, child = name.rpartition(".")
        parent = modules[parent_name] if parent_name else model
        dense = modules[name]
        layer.train(dense.training)
        layer.requires_grad_(dense.weight.requires_grad)  # frozen stays frozen
        setattr(parent, child, layer)
    return result
