"""Layers and comparisons shared by the tests."""
import torch

import pfc
from reference import forward as ref_forward

# Small layers (compile in well under a second each): odd sizes padded
# inside the layer, every γ mode, and a pattern with shuffle and global
# features and neither low rank nor bias.
CONFIGS = {
    "scalar": dict(in_features=60, out_features=40, block=8, butterfly_size=8,
                   strides=[2, 4], rank=6, gamma="scalar", gamma_init=0.6),
    "gate": dict(in_features=60, out_features=40, block=8, butterfly_size=8,
                 strides=[2, 4], rank=6, gamma="gate", gamma_init=0.3),
    "fixed": dict(in_features=60, out_features=40, block=8, butterfly_size=8,
                  strides=[2, 4], rank=6, gamma="fixed", gamma_init=0.7),
    "global": dict(in_features=100, out_features=72, block=8, butterfly_size=8,
                   strides=[2, 8], shuffle=True, global_features=16, rank=0,
                   bias=False, gamma="scalar", gamma_init=0.4),
}


def make_layer(config, seed):
    layer = pfc.PixelflyLinear(**CONFIGS[config], seed=seed)
    # Move the parameters off their initial values (a zero gate bias, γ at
    # its init) so that every term matters.
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        if layer.spec["gamma_mode"] == "scalar":
            layer.gamma.fill_(0.2 + 0.6 * torch.rand((), generator=g).item())
        if layer.gate is not None:
            layer.gate.bias.fill_(torch.randn((), generator=g).item())
            layer.gate.weight.mul_(3.0)
        if layer.bias is not None:
            layer.bias.copy_(torch.randn(layer.bias.shape, generator=g))
    return layer


def params64(layer):
    """The layer's tensors (parameters and buffers) by pfc's names, as
    float64 leaves requiring grad."""
    return {name: t.detach().double().requires_grad_()
            for name, t in layer.state_dict().items()}


def forward_bound(spec, x64, p):
    """Σ|terms| of each output: bounds rounding errors of y."""
    a = {k: v.detach().abs() for k, v in p.items()}
    pa = dict(a)
    pa["bias"] = a.get("bias")
    xa = x64.detach().abs().reshape(-1, spec["in_features"])
    from reference import dense_blocks
    sparse = xa @ dense_blocks(spec, a["blocks"]).T
    low = (xa @ a["V"]) @ a["U"].T if spec["rank"] > 0 else torch.zeros_like(sparse)
    bound = sparse + low  # γ, 1−γ ≤ 1
    if spec["bias"]:
        bound = bound + a["bias"]
    return bound.reshape(*x64.shape[:-1], spec["out_features"])


def assert_close(name, got, ref, bound, tol):
    got = got.detach().double()
    ref = ref.detach()
    assert got.shape == ref.shape, f"{name}: shape {tuple(got.shape)} != {tuple(ref.shape)}"
    err = (got - ref).abs()
    limit = tol * bound + 1e-12
    bad = err > limit
    assert not bad.any(), (
        f"{name}: {int(bad.sum())} of {err.numel()} values off; worst error "
        f"{float(err.max()):.3g}, limit there {float(limit.flatten()[int(err.argmax())]):.3g}")


def check_layer(layer, x, dy):
    """Runs `layer` on x (any view) with output gradient dy and compares y,
    dx and every parameter's gradient with the fp64 reference."""
    spec = layer.spec
    names = [n for n, _ in layer.named_parameters()]
    params = [p for _, p in layer.named_parameters()]
    if not x.requires_grad:
        x.requires_grad_()
    y = layer(x)
    got = torch.autograd.grad(y, [x] + params, dy, allow_unused=False)

    p = params64(layer)
    x64 = x.detach().double().requires_grad_()
    y64, sparse, low = ref_forward(spec, x64, p)
    dy64 = dy.double()
    ref = torch.autograd.grad(y64, [x64] + [p[n] for n in names], dy64)

    assert y.dtype == torch.float32 and y.shape == y64.shape
    assert_close("y", y, y64, forward_bound(spec, x64, p), 1e-5)

    # Bounds of the sums behind each gradient. Tensors: a fraction of the
    # largest reference value (a wrong index is off by O(1)). Sums over
    # tokens through γ, which may cancel: Σ|terms|.
    tokens = dy64.reshape(-1, spec["out_features"])
    per_token = (tokens.abs() * (sparse.abs() + low.abs())).detach().sum(1)
    x2 = x64.detach().reshape(-1, spec["in_features"])
    for name, g, r in zip(["x"] + names, got, ref):
        if name == "gamma":
            bound = per_token.sum()
        elif name in ("gate.bias", "gate.weight"):
            z = x2 @ p["gate.weight"].detach() + p["gate.bias"].detach()
            s = torch.sigmoid(z)
            weight = s * (1 - s) * per_token
            bound = weight.sum() if name == "gate.bias" else x2.abs().T @ weight
        else:
            bound = torch.full_like(r, float(r.abs().max()) if r.numel() else 0.0)
        assert_close("d" + name, g, r, bound.expand_as(r) + 1e-30, 1e-4 if name not in ("gamma", "gate.bias", "gate.weight") else 1e-5)
    return y
