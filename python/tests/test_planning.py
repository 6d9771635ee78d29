"""pfc.plan and pfc.pixelfly: the budget planner on PyTorch models, checked
against `pfc plan` on the same model written as a model spec, and the
replacement against an independent fit of each layer."""
import copy
import io
import json
import random
import subprocess

import pytest
import torch
from torch import nn

import pfc
from reference import dense_blocks


class Block(nn.Module):
    def __init__(self, width, hidden, bias):
        super().__init__()
        self.fc1 = nn.Linear(width, hidden, bias=bias)
        self.fc2 = nn.Linear(hidden, width, bias=bias)
        self.norm = nn.LayerNorm(width)

    def forward(self, x):
        return x + self.fc2(torch.relu(self.fc1(self.norm(x))))


class Net(nn.Module):
    """stem -> blocks.0..n-1 -> head, with parameters outside the linears."""

    def __init__(self, inputs, width, hidden, depth, classes, bias=True):
        super().__init__()
        self.stem = nn.Linear(inputs, width)
        self.blocks = nn.ModuleList(Block(width, hidden, bias) for _ in range(depth))
        self.head = nn.Linear(width, classes)

    def forward(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def random_net(rng):
    return Net(inputs=rng.choice([48, 64, 100, 130]),
               width=rng.choice([64, 96, 128, 160]),
               hidden=rng.choice([128, 256, 320]),
               depth=rng.randint(1, 4),
               classes=rng.choice([10, 33]),
               bias=rng.random() < 0.7)


def cli_plan(tool, tmp_path, net, budget, block, share, gamma, gamma_init):
    """`pfc plan --json` on the model spec a person would write for `net`."""
    layers = [
        dict(name="stem", in_features=net.stem.in_features,
             out_features=net.stem.out_features, repeat=1, dense=True),
        dict(name="fc1", in_features=net.blocks[0].fc1.in_features,
             out_features=net.blocks[0].fc1.out_features, repeat=len(net.blocks),
             bias=net.blocks[0].fc1.bias is not None),
        dict(name="fc2", in_features=net.blocks[0].fc2.in_features,
             out_features=net.blocks[0].fc2.out_features, repeat=len(net.blocks),
             bias=net.blocks[0].fc2.bias is not None),
        dict(name="head", in_features=net.head.in_features,
             out_features=net.head.out_features, repeat=1, dense=True),
    ]
    norms = sum(p.numel() for b in net.blocks for p in b.norm.parameters())
    # YAML's flow style is JSON.
    spec = {"pfc": 1, "model": {
        "name": "net", "budget": budget, "block": block, "lowrank_share": share,
        "extra_params": norms, "gamma": {"mode": gamma, "init": gamma_init},
        "layers": layers}}
    path = tmp_path / "net.yaml"
    path.write_text(json.dumps(spec))
    out = subprocess.run([tool, "plan", "--json", str(path)], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_plan_equals_cli(pfc_tool, tmp_path, seed):
    rng = random.Random(seed)
    for _ in range(3):
        net = random_net(rng)
        budget = rng.choice([0.1, 0.2, 0.3, 0.5])
        block = rng.choice([8, 16, 32])
        share = rng.choice([0.25, 0.3])
        gamma, gamma_init = rng.choice([("scalar", 0.5), ("gate", 0.4), ("fixed", 0.7)])
        before = copy.deepcopy(net.state_dict())
        out = io.StringIO()
        plan = pfc.plan(net, budget, block=block, lowrank_share=share, gamma=gamma,
                        gamma_init=gamma_init, exclude=["stem", "head"], name="net",
                        file=out)
        want = cli_plan(pfc_tool, tmp_path, net, budget, block, share, gamma, gamma_init)
        context = f"budget {budget} block {block} share {share} net {net}"

        assert out.getvalue() == str(plan) == plan.table
        index = "*" if len(net.blocks) > 1 else "0"  # a row of one keeps its name
        assert [r.name for r in plan.rows] == [
            "stem", f"blocks.{index}.fc1", f"blocks.{index}.fc2", "head"]
        assert plan.rows[1].modules == [f"blocks.{i}.fc1" for i in range(len(net.blocks))]
        for row, ref in zip(plan.rows, want["layers"]):
            assert row.sparse == ref["sparse"], context
            assert row.density == pytest.approx(ref["density"]), context
            assert row.cost == pytest.approx(ref["pixelfly"]), context
            assert row.dense == pytest.approx(ref["dense"]), context
            if row.sparse:
                spec = pfc.Spec(row.spec).info
                assert spec["rank"] == ref["spec"]["lowrank"]["rank"], context
                assert spec["butterfly"]["size"] == ref["spec"]["butterfly"]["size"]
                assert spec["gamma_mode"] == gamma
                assert row.nnz_blocks == ref["nnz_blocks"] == spec["nnz_blocks"]
        assert plan.total == pytest.approx(want["total"]), context
        assert plan.dense_total == pytest.approx(want["dense_total"]), context
        # The dense model's parameters are the module's.
        assert plan.dense_total["params"] == sum(p.numel() for p in net.parameters())
        # The table shows the rows with their figures.
        for row in plan.rows:
            line = next(l for l in plan.table.splitlines() if l.startswith(row.name + " "))
            assert f"{row.out_features}x{row.in_features}" in line
            assert f"{row.density:.4f}" in line
        # plan changes nothing.
        after = net.state_dict()
        assert all(torch.equal(before[k], after[k]) for k in before)
        assert not any(isinstance(m, pfc.PixelflyLinear) for m in net.modules())


def fitted(dense_weight, spec_dict, rank):
    """W on the pattern plus the rank-r SVD of the rest: what a Pixelfly layer
    fitted to W must compute as γ·B + (1−γ)·U·Vᵀ."""
    w = dense_weight.double()
    ones = torch.ones(spec_dict["nnz_blocks"], spec_dict["block"], spec_dict["block"],
                      dtype=torch.float64)
    mask = dense_blocks(spec_dict, ones).bool()
    on = torch.where(mask, w, torch.zeros_like(w))
    u, s, vh = torch.linalg.svd(w - on, full_matrices=False)
    return on + (u[:, :rank] * s[:rank]) @ vh[:rank]


def test_pixelfly_replaces_in_place(seed, gen):
    rng = random.Random(seed)
    torch.manual_seed(seed)
    net = random_net(rng)
    net.blocks[0].norm.weight.data.uniform_(0.5, 1.5, generator=gen)
    net.stem.requires_grad_(False)
    net.eval()
    original = copy.deepcopy(net)
    plan = pfc.pixelfly(net, 0.3, block=16, exclude="head", gamma="scalar", gamma_init=0.6)

    assert isinstance(net.head, nn.Linear) and torch.equal(net.head.weight, original.head.weight)
    assert plan.row("head").note == "excluded: kept dense"
    assert torch.equal(net.blocks[0].norm.weight, original.blocks[0].norm.weight)
    replaced = 0
    for name, module in net.named_modules():
        row = next((r for r in plan.rows if name in r.modules), None)
        if row is None or not row.sparse:
            continue
        assert isinstance(module, pfc.PixelflyLinear), name
        dense = original.get_submodule(name)
        assert module.spec_text == pfc.Spec(row.spec).canonical
        assert module.spec["rank"] == row.rank
        torch.testing.assert_close(module.dense_weight().double(),
                                   fitted(dense.weight.detach(), module.spec, row.rank),
                                   rtol=1e-4, atol=1e-5)
        if dense.bias is not None:
            assert torch.equal(module.bias, dense.bias)
        replaced += 1
    assert replaced == 2 * len(net.blocks) + 1  # the stem too: only the head is excluded
    assert isinstance(net.stem, pfc.PixelflyLinear) and not net.stem.training
    assert not any(p.requires_grad for p in net.stem.parameters())
    assert all(p.requires_grad for p in net.blocks[0].fc1.parameters())
    net.train()

    # The converted model trains.
    x = torch.randn(5, net.stem.in_features, generator=gen)
    net(x).square().mean().backward()
    assert net.blocks[0].fc1.blocks.grad is not None
    assert net.blocks[0].fc1.gamma.grad is not None


def test_include_shared_and_subclasses(seed):
    torch.manual_seed(seed)

    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(100, 64)
            self.attn = nn.MultiheadAttention(64, 4)
            self.mlp = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 64))
            self.out = nn.Linear(64, 100, bias=False)
            self.out.weight = self.embed.weight

    model = Tied()
    dense_params = sum(p.numel() for p in model.parameters())
    plan = pfc.pixelfly(model, 0.25, block=16, include="mlp.*")
    assert plan.row("out").note == "its weight is shared with embed.weight: kept dense"
    assert "subclass of nn.Linear" in plan.row("attn.out_proj").note
    # Rows of one module keep its name.
    assert [r.name for r in plan.rows if r.sparse] == ["mlp.0", "mlp.2"]
    assert isinstance(model.mlp[0], pfc.PixelflyLinear)
    assert model.out.weight is model.embed.weight
    # Everything that is not a planned linear layer counts as extra.
    assert plan.dense_total["params"] == dense_params
    assert plan.total["params"] == sum(p.numel() for p in model.parameters())

    plan = pfc.plan(Tied(), 0.25, block=16, exclude=["mlp.0"], quiet=True)
    assert plan.row("mlp.0").note == "excluded: kept dense"
    assert plan.row("mlp.2").sparse
    plan = pfc.plan(Tied(), 0.25, block=16, include=["nothing*"], quiet=True)
    assert not any(r.sparse for r in plan.rows)
    assert plan.row("mlp.0").note == "not included: kept dense"


def test_layers_a_replacement_would_break(seed):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                          nn.Linear(128, 64), nn.Linear(64, 64), nn.Linear(64, 128))
    torch.nn.utils.parametrizations.weight_norm(model[2])
    model[4].register_forward_hook(lambda *args: None)
    dense_params = sum(p.numel() for p in model.parameters())
    plan = pfc.pixelfly(model, 0.3, block=16)
    assert "computed" in plan.row("2").note and not plan.row("2").sparse
    assert "forward hooks" in plan.row("4").note and isinstance(model[4], nn.Linear)
    assert plan.row("5").sparse and isinstance(model[5], pfc.PixelflyLinear)
    # weight_norm's magnitude counts among the parameters outside the rows.
    assert plan.dense_total["params"] == dense_params

    # Two linear layers sharing a weight: both dense, the weight in both rows.
    first, tied = nn.Linear(64, 128), nn.Linear(64, 128)
    tied.weight = first.weight
    model = nn.Sequential(first, nn.ReLU(), tied)
    plan = pfc.plan(model, 0.3, block=16, quiet=True)
    assert "shared with 2.weight" in plan.row("0").note
    assert "shared with 0.weight" in plan.row("2").note
    assert plan.dense_total["params"] == (sum(p.numel() for p in model.parameters())
                                          + first.weight.numel())

    with pytest.raises(ValueError, match="uninitialized lazy layer"):
        pfc.plan(nn.Sequential(nn.LazyLinear(8), nn.ReLU()), 0.3)


def test_bad_arguments():
    net = Net(64, 64, 128, 2, 10)
    with pytest.raises(ValueError, match=r"<pfc.plan>:\d+:\d+: error: 'budget' is 0"):
        pfc.plan(net, 0.0)
    with pytest.raises(ValueError, match=r"error: 'budget' is 1.5"):
        pfc.plan(net, 1.5)
    with pytest.raises(ValueError, match=r"error: 'block' is 12"):
        pfc.plan(net, 0.3, block=12)
    with pytest.raises(ValueError, match=r"'lowrank_share' is 0.5"):
        pfc.plan(net, 0.3, lowrank_share=0.5)
    with pytest.raises(ValueError, match="gamma is 'learned'"):
        pfc.plan(net, 0.3, gamma="learned")
    with pytest.raises(ValueError, match="budget is None"):
        pfc.plan(net, None)
    with pytest.raises(ValueError, match="block is 16.7"):
        pfc.plan(net, 0.3, block=16.7)
    with pytest.raises(ValueError, match="name is 'my net: v2'"):
        pfc.plan(net, 0.3, name="my net: v2")
    with pytest.raises(ValueError, match="include must be"):
        pfc.plan(net, 0.3, include=[3])
    with pytest.raises(ValueError, match="no nn.Linear layer"):
        pfc.plan(nn.Sequential(nn.ReLU()), 0.3)
    with pytest.raises(ValueError, match="itself an nn.Linear"):
        pfc.plan(nn.Linear(64, 64), 0.3)
    with pytest.raises(ValueError, match="takes an nn.Module"):
        pfc.plan("net", 0.3)

    # A layer pfc cannot run: nothing is replaced.
    net = Net(64, 64, 128, 2, 10).double()
    before = copy.deepcopy(net.state_dict())
    with pytest.raises(ValueError, match="float64 on cpu"):
        pfc.pixelfly(net, 0.3, block=16)
    assert not any(isinstance(m, pfc.PixelflyLinear) for m in net.modules())
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())

    # A spec that does not fit the layer.
    other = pfc.PixelflyLinear(64, 32, block=16, butterfly_size=2, rank=4)
    with pytest.raises(ValueError, match="in=64 out=32 bias=True, the linear layer "
                                         "in=64 out=64"):
        pfc.PixelflyLinear.from_linear(nn.Linear(64, 64), spec=other.spec_text)
