"""PixelflyLinear: torch.compile, training, conversion, errors."""
import copy
import io
import pickle
import re

import pytest
import torch
from torch import nn

import pfc
from helpers import CONFIGS, check_layer, make_layer


@pytest.mark.parametrize("config,backend", [("gate", "inductor"), ("fixed", "aot_eager")])
def test_compile_fullgraph_equals_eager(config, backend, seed, gen):
    torch._dynamo.reset()
    layer = make_layer(config, seed)
    model = nn.Sequential(layer, nn.GELU(), nn.Linear(layer.out_features, 3))
    compiled = torch.compile(model, fullgraph=True, backend=backend)
    x = torch.randn(2, 11, layer.in_features, generator=gen)
    y_eager = model(x)
    y_eager.square().sum().backward()
    eager_grads = {n: p.grad.clone() for n, p in model.named_parameters()}
    model.zero_grad()
    y_comp = compiled(x)
    y_comp.square().sum().backward()
    torch.testing.assert_close(y_comp, y_eager, rtol=1e-6, atol=1e-6)
    for n, p in model.named_parameters():
        torch.testing.assert_close(p.grad, eager_grads[n], rtol=1e-6, atol=1e-6, msg=n)


def test_compile_inductor(seed, gen):
    torch._dynamo.reset()
    layer = make_layer("scalar", seed)
    compiled = torch.compile(layer, fullgraph=True)
    x = torch.randn(9, layer.in_features, generator=gen)
    torch.testing.assert_close(compiled(x), layer(x), rtol=0, atol=0)


@pytest.mark.parametrize("config", ["scalar", "gate"])
def test_adamw_reduces_loss(config, seed, gen):
    layer = make_layer(config, seed)
    x = torch.randn(64, layer.in_features, generator=gen)
    target = torch.randn(64, layer.out_features, generator=gen)
    opt = torch.optim.AdamW(layer.parameters(), lr=1e-2)
    losses = []
    for _ in range(8):
        opt.zero_grad()
        loss = (layer(x) - target).square().mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.9 * losses[0], losses
    # The kernel saw every update: the result equals the reference.
    check_layer(layer, x, torch.randn_like(target))


def test_state_dict_names_and_fixed_gamma(seed):
    for config, names in [
        ("scalar", ["blocks", "U", "V", "gamma", "bias"]),
        ("gate", ["blocks", "U", "V", "gate.weight", "gate.bias", "bias"]),
        ("fixed", ["blocks", "U", "V", "gamma", "bias"]),
        ("global", ["blocks", "gamma"]),
    ]:
        layer = make_layer(config, seed)
        sd = layer.state_dict()
        assert sorted(sd) == sorted(names), config
        shapes = dict(pfc.Spec(layer.spec_text).param_infos)
        for name, t in sd.items():
            assert tuple(t.shape) == tuple(shapes[name]), name
        params = dict(layer.named_parameters())
        if config == "fixed":
            assert "gamma" not in params
            assert float(sd["gamma"]) == pytest.approx(0.7)
            sd["gamma"] = torch.tensor(0.5)
            with pytest.raises(RuntimeError, match="fixed at 0.7"):
                layer.load_state_dict(sd)


def test_init_matches_spec_init(seed):
    layer = pfc.PixelflyLinear(**CONFIGS["gate"], seed=seed)
    ref = pfc.Spec(layer.spec_text).init_params(seed)
    for name, t in layer.state_dict().items():
        assert torch.equal(t, torch.from_numpy(ref[name])), name


def test_from_linear_full_rank(gen):
    linear = nn.Linear(60, 40)
    with torch.no_grad():
        linear.weight.copy_(torch.randn(40, 60, generator=gen) * 0.1)
    for gamma in ["scalar", "gate", "fixed"]:
        layer = pfc.PixelflyLinear.from_linear(
            linear, block=8, butterfly_size=8, strides=[2], rank=40,
            gamma=gamma, gamma_init=0.3)
        x = torch.randn(13, 60, generator=gen)
        torch.testing.assert_close(layer(x), linear(x), rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(layer.dense_weight(), linear.weight.detach(),
                                   rtol=1e-4, atol=1e-5)
    # Low rank: the best approximation off the pattern, exact on it.
    layer = pfc.PixelflyLinear.from_linear(linear, block=8, butterfly_size=8,
                                           strides=[2], rank=4)
    w = layer.dense_weight()
    assert layer.spec["density"] < 0.5
    assert (w - linear.weight).norm() < linear.weight.norm()


def test_from_spec_and_repr(tmp_path):
    text = pfc.spec_text(**{k: v for k, v in CONFIGS["global"].items()
                            if k not in ("gamma",)}, gamma="scalar")
    path = tmp_path / "layer.yaml"
    path.write_text(text)
    a = pfc.PixelflyLinear.from_spec(str(path), seed=3)
    b = pfc.PixelflyLinear.from_spec(text, seed=3)
    assert a.layer_id == b.layer_id
    for name in a.state_dict():
        assert torch.equal(a.state_dict()[name], b.state_dict()[name])
    r = repr(a)
    assert "density=" in r and "rank=0" in r and "S=8 k=2,8 shuffle global=16" in r


def test_pickle_roundtrip(seed, gen):
    layer = make_layer("gate", seed)
    x = torch.randn(3, layer.in_features, generator=gen)
    buf = io.BytesIO()
    torch.save(layer, buf)
    buf.seek(0)
    again = torch.load(buf, weights_only=False)
    torch.testing.assert_close(again(x), layer(x), rtol=0, atol=0)
    torch.testing.assert_close(copy.deepcopy(layer)(x), layer(x), rtol=0, atol=0)


def test_bad_spec_text():
    text = "pfc: 1\nlayer:\n  name: bad\n  in_features: 64\n  out_features: 64\n  block: 24\n"
    with pytest.raises(ValueError, match=r"^<spec>:6:10: error: .*block"):
        pfc.PixelflyLinear.from_spec(text)
    with pytest.raises(ValueError, match=r"mine\.yaml:\d+:\d+: error:"):
        pfc.register_layer("pfc: 1\nlayer: [", "mine.yaml")
    with pytest.raises(ValueError, match=r"<PixelflyLinear>:\d+:\d+: error: .*size"):
        pfc.PixelflyLinear(64, 64, block=8, butterfly_size=3)
    with pytest.raises(ValueError, match=r"dtype: bf16.*\n.*f32|f32"):
        pfc.PixelflyLinear.from_spec(
            "pfc: 1\nlayer:\n  name: h\n  in_features: 64\n  out_features: 64\n"
            "  block: 8\n  butterfly: {size: 8, factors: 1}\n  dtype: bf16\n")


def test_bad_inputs(seed):
    layer = make_layer("scalar", seed)
    with pytest.raises(ValueError, match="f32.*bf16|bf16.*f32"):
        layer(torch.zeros(2, layer.in_features, dtype=torch.bfloat16))
    with pytest.raises(ValueError, match="float32|f32"):
        layer(torch.zeros(2, layer.in_features, dtype=torch.float64))
    with pytest.raises(ValueError, match=rf"\[\.\.\., {layer.in_features}\]"):
        layer(torch.zeros(2, layer.in_features + 1))
    with pytest.raises(ValueError):
        layer(torch.zeros(()))


def test_clamp_gamma(seed):
    model = torch.nn.Sequential(make_layer("scalar", seed), make_layer("scalar", seed + 1),
                                make_layer("fixed", seed), make_layer("gate", seed))
    with torch.no_grad():
        model[0].gamma.fill_(1.7)
        model[1].gamma.fill_(-0.3)
    fixed, gate = model[2].gamma.clone(), model[3].gate.bias.clone()
    assert pfc.clamp_gamma_(model) is model
    assert model[0].gamma.item() == 1.0 and model[1].gamma.item() == 0.0
    assert torch.equal(model[2].gamma, fixed) and torch.equal(model[3].gate.bias, gate)
