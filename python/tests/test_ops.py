"""pfc::linear and pfc::linear_backward against the fp64 reference."""
import os

import pytest
import torch

import pfc
from helpers import CONFIGS, check_layer, make_layer


@pytest.mark.parametrize("config", list(CONFIGS))
def test_forward_backward(config, seed, gen):
    layer = make_layer(config, seed)
    n = layer.in_features
    tokens = int(torch.randint(1, 40, (), generator=gen))
    print(f"seed {seed}, {tokens} tokens")
    x = torch.randn(tokens, n, generator=gen)
    dy = torch.randn(tokens, layer.out_features, generator=gen)
    check_layer(layer, x, dy)


@pytest.mark.parametrize("config", ["scalar", "gate"])
def test_leading_shapes_and_views(config, seed, gen):
    layer = make_layer(config, seed)
    n, m = layer.in_features, layer.out_features
    # [2, 3, 5, in]
    x = torch.randn(2, 3, 5, n, generator=gen)
    check_layer(layer, x, torch.randn(2, 3, 5, m, generator=gen))
    # A transposed (non-contiguous) view.
    base = torch.randn(n, 7, generator=gen)
    x = base.T
    assert not x.is_contiguous()
    check_layer(layer, x, torch.randn(7, m, generator=gen))
    # A strided slice, and a contiguous slice at an offset.
    base = torch.randn(9, 2 * n, generator=gen)
    check_layer(layer, base[:, ::2], torch.randn(9, m, generator=gen))
    base = torch.randn(10, n, generator=gen)
    check_layer(layer, base[3:], torch.randn(7, m, generator=gen))
    # A non-contiguous output gradient (expanded).
    x = torch.randn(4, n, generator=gen)
    check_layer(layer, x, torch.randn(1, m, generator=gen).expand(4, m))


@pytest.mark.parametrize("config", ["scalar", "gate"])
def test_zero_tokens(config, seed):
    layer = make_layer(config, seed)
    for shape in [(0, layer.in_features), (2, 0, layer.in_features)]:
        x = torch.zeros(shape, requires_grad=True)
        y = layer(x)
        assert y.shape == (*shape[:-1], layer.out_features)
        y.sum().backward()
        assert x.grad.shape == x.shape
        for name, p in layer.named_parameters():
            assert p.grad is not None and not p.grad.any(), name
        layer.zero_grad()


def test_threads_agree(seed, gen):
    """1 and 2 threads, on torch's OpenMP team and on pfc's own pool, give
    the same outputs and gradients."""
    layer = make_layer("gate", seed)
    x = torch.randn(133, layer.in_features, generator=gen)
    dy = torch.randn(133, layer.out_features, generator=gen)
    old = torch.get_num_threads()
    results = []
    try:
        for shared in (True, False):
            runtime = pfc.use_torch_threads(shared)
            assert pfc.use_torch_threads(None) == runtime
            if shared and "parallel backend: OpenMP" in torch.__config__.parallel_info():
                assert "gomp" in runtime or "omp" in runtime, runtime
            if not shared:
                assert runtime == ""
            for threads in (1, 2):
                torch.set_num_threads(threads)
                xg = x.clone().requires_grad_()
                layer.zero_grad()
                y = layer(xg)
                y.backward(dy)
                grads = {n: p.grad.clone() for n, p in layer.named_parameters()}
                results.append((y.detach(), xg.grad, grads))
    finally:
        torch.set_num_threads(old)
        pfc.use_torch_threads()
    y0, dx0, grads0 = results[0]
    for y, dx, grads in results[1:]:
        torch.testing.assert_close(y, y0, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(dx, dx0, rtol=1e-5, atol=1e-5)
        for name, g in grads.items():
            torch.testing.assert_close(g, grads0[name], rtol=1e-4, atol=1e-4, msg=name)
    check_layer(layer, x, dy)  # and on torch's threads, against the reference


def test_params_repacked_after_update(seed, gen):
    layer = make_layer("scalar", seed)
    x = torch.randn(5, layer.in_features, generator=gen)
    y1 = layer(x)
    with torch.no_grad():
        layer.blocks.mul_(2.0)
        layer.gamma.fill_(0.25)
    y2 = layer(x)
    check_layer(layer, x, torch.randn_like(y2))
    assert not torch.allclose(y1, y2)


def _op_args(layer, x):
    gate = layer.gate
    return (x, layer.blocks, layer.U, layer.V, layer.gamma,
            gate.weight if gate is not None else None,
            gate.bias if gate is not None else None, layer.bias, layer.layer_id)


@pytest.mark.parametrize("config", ["scalar", "gate", "global"])
def test_opcheck(config, seed, gen):
    layer = make_layer(config, seed)
    x = torch.randn(6, layer.in_features, generator=gen, requires_grad=True)
    torch.library.opcheck(torch.ops.pfc.linear.default, _op_args(layer, x))
    args = _op_args(layer, x.detach())
    dy = torch.randn(6, layer.out_features, generator=gen)
    plain = tuple(a.detach() if isinstance(a, torch.Tensor) else a for a in args)
    torch.library.opcheck(torch.ops.pfc.linear_backward.default,
                          (plain[0], dy) + plain[1:])


@pytest.mark.parametrize("config", ["scalar", "gate"])
def test_no_grad_saves_nothing(config, seed, gen):
    layer = make_layer(config, seed)
    x = torch.randn(7, layer.in_features, generator=gen, requires_grad=True)
    saved = []

    def pack(t):
        saved.append(t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        want = layer(x)  # the hook sees what a training forward saves
        assert saved, "the hook saw nothing saved for backward"
        saved.clear()
        with torch.no_grad():
            y1 = layer(x)
        with torch.inference_mode():
            y2 = layer(x.detach())
    assert saved == []
    assert y1.grad_fn is None and not y1.requires_grad
    assert y2.is_inference() and not y2.requires_grad
    torch.testing.assert_close(y1, want.detach(), rtol=0, atol=0)
    torch.testing.assert_close(y2, want.detach(), rtol=0, atol=0)


def test_compiled_once_per_pattern(seed, gen):
    from pfc import _ops
    config = dict(CONFIGS["scalar"], in_features=52)  # a spec no other test uses
    a = pfc.PixelflyLinear(**config, seed=seed)
    b = pfc.PixelflyLinear(**config, seed=seed + 1)
    other = pfc.PixelflyLinear(**dict(config, strides=[4]), seed=seed)
    assert a.layer_id == b.layer_id != other.layer_id
    x = torch.randn(3, a.in_features, generator=gen)
    for _ in range(4):
        for layer in (a, b, other):
            layer(x).sum().backward()
    threads = max(1, torch.get_num_threads())
    compiled = [key for key in _ops._compiled if key[0] in (a.layer_id, other.layer_id)]
    assert sorted(compiled) == sorted([(a.layer_id, threads), (other.layer_id, threads)])


def test_openmp_team_smaller_than_parts(seed):
    """With OMP_THREAD_LIMIT=1 torch's team has one thread however many parts
    pfc asks for: every part still runs (on it)."""
    import subprocess
    import sys
    script = f"""
import torch, pfc
torch.set_num_threads(2)
layer = pfc.PixelflyLinear(256, 192, block=16, butterfly_size=4, rank=8, seed={seed})
x = torch.randn(300, 256, generator=torch.Generator().manual_seed({seed}))
want = x.double() @ layer.dense_weight().double().T + layer.bias.double()
print(pfc.use_torch_threads(None) != "", float((layer(x).double() - want).abs().max()))
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, env=dict(os.environ, OMP_THREAD_LIMIT="1"))
    assert run.returncode == 0, run.stderr
    shared, error = run.stdout.split()
    assert shared == "True" or "parallel backend: OpenMP" not in torch.__config__.parallel_info()
    assert float(error) < 1e-4
