"""state_dict <-> `pfc init` / `pfc run --params` through the CLI."""
import subprocess

import numpy as np
import torch

import pfc
from helpers import CONFIGS, make_layer


def run(tool, *args):
    result = subprocess.run([tool, *map(str, args)], capture_output=True, text=True)
    assert result.returncode == 0, f"pfc {' '.join(map(str, args))}:\n{result.stderr}"
    return result


def test_pfc_init_loads_into_module(pfc_tool, tmp_path, seed, gen):
    layer = pfc.PixelflyLinear(**CONFIGS["gate"], seed=0)
    spec = tmp_path / "layer.yaml"
    spec.write_text(layer.spec_text)
    params = tmp_path / "p.safetensors"
    run(pfc_tool, "init", spec, "-o", params, "--seed", seed)
    loaded = pfc.load_safetensors(params)
    # The same initialisation as the module's with that seed.
    same = pfc.PixelflyLinear(**CONFIGS["gate"], seed=seed).state_dict()
    assert sorted(loaded) == sorted(same)
    for name in loaded:
        assert torch.equal(loaded[name], same[name]), name
    layer.load_state_dict(loaded)

    x = torch.randn(17, layer.in_features, generator=gen)
    np.save(tmp_path / "x.npy", x.numpy())
    run(pfc_tool, "run", spec, "--params", params, "--input", tmp_path / "x.npy",
        "-o", tmp_path / "y.npy")
    y_cli = torch.from_numpy(np.load(tmp_path / "y.npy"))
    torch.testing.assert_close(layer(x).detach(), y_cli, rtol=1e-5, atol=1e-5)


def test_module_state_dict_runs_in_cli(pfc_tool, tmp_path, seed, gen):
    for config in ["scalar", "fixed", "global"]:
        layer = make_layer(config, seed)  # parameters moved off their init
        spec = tmp_path / f"{config}.yaml"
        spec.write_text(layer.spec_text)
        params = tmp_path / f"{config}.safetensors"
        pfc.save_safetensors(params, layer.state_dict())
        x = torch.randn(9, layer.in_features, generator=gen)
        dy = torch.randn(9, layer.out_features, generator=gen)
        np.save(tmp_path / "x.npy", x.numpy())
        np.save(tmp_path / "dy.npy", dy.numpy())
        out = tmp_path / f"out-{config}"
        run(pfc_tool, "run", spec, "--params", params, "--input", tmp_path / "x.npy",
            "--grad-output", tmp_path / "dy.npy", "-o", out)
        xg = x.clone().requires_grad_()
        y = layer(xg)
        y.backward(dy)
        torch.testing.assert_close(y.detach(), torch.from_numpy(np.load(out / "y.npy")),
                                   rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(xg.grad, torch.from_numpy(np.load(out / "dx.npy")),
                                   rtol=1e-5, atol=1e-5)
        grads = pfc.load_safetensors(out / "grads.safetensors")
        for name, p in layer.named_parameters():
            torch.testing.assert_close(p.grad, grads[name], rtol=1e-4, atol=1e-4,
                                       msg=f"{config} d{name}")
        # And back: the file loads into a fresh module.
        fresh = pfc.PixelflyLinear.from_spec(str(spec), seed=1)
        fresh.load_state_dict(pfc.load_safetensors(params))
        torch.testing.assert_close(fresh(x), layer(x), rtol=0, atol=0)


def test_safetensors_errors(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00{oops")
    try:
        pfc.load_safetensors(bad)
    except ValueError as e:
        assert str(bad) in str(e) and "error" in str(e)
    else:
        raise AssertionError("a malformed file was read")
    try:
        pfc.save_safetensors(tmp_path / "d.safetensors", {"a": torch.zeros(2, dtype=torch.float64)})
    except ValueError as e:
        assert "float32" in str(e)
    else:
        raise AssertionError("a float64 tensor was written")
