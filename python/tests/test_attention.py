"""Pixelfly attention: pfc::attention and pfc::attention_backward,
PixelflyAttention and pixelfly_attention against the fp64 reference of
attention_reference.py (written from docs/ATTENTION.md)."""
import os
import pickle

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import pfc
import attention_reference as ref

# A few specs, each compiled once for the whole run (a compile takes
# seconds): causal and not, m = 0 and m > 0, a shuffled pattern with global
# tokens, coarse cells straddling blocks (S = 8 over 13 blocks), no support.
# Calls pass T < seq_len, rarely a multiple of the block, so the padding is
# exercised; so do seq_lens that are not.
CONFIGS = {
    # S=4 k=2,4 over 6 blocks of 16, 8 random features, causal; the spec
    # pixelfly_attention builds for 81..96 tokens and these arguments.
    "causal": dict(seq_len=96, num_heads=2, head_dim=16, block=16, butterfly_size=4,
                   features=8, is_causal=True, seed=3),
    # S=8 k=2,8 shuffled, 20 global tokens, 16 features, not causal, τ given.
    "shuffle_global": dict(seq_len=120, num_heads=1, head_dim=12, block=16,
                           butterfly_size=8, strides=[2, 8], shuffle=True,
                           global_tokens=20, features=16, seed=11, scale=0.3),
    # S=8 k=2,4 over 13 blocks (208 padded tokens, cells of 26), m = 0.
    "sparse_m0": dict(seq_len=200, num_heads=1, head_dim=8, block=16, butterfly_size=8,
                      factors=2),
    # No support: Performer attention, causal (the diagonal blocks estimated).
    "performer": dict(seq_len=75, num_heads=3, head_dim=8, block=16, butterfly_size=0,
                      features=32, is_causal=True, seed=5),
}


def make(config):
    return pfc.PixelflyAttention(**CONFIGS[config])


def inputs(gen, batch, heads, tokens, d, requires_grad=False):
    # Scores τ·q·k of a few units, as trained attention has.
    q, k, v = (torch.empty(batch, heads, tokens, d).uniform_(-1.5, 1.5, generator=gen)
               for _ in range(3))
    if requires_grad:
        for t in (q, k, v):
            t.requires_grad_()
    return q, k, v


def rel_err(got, want):
    got = got.detach().double()
    want = want.detach().double()
    return float((got - want).norm() / want.norm().clamp_min(1e-300))


def check_against_reference(module, q, k, v, dout):
    """out, stats, dq, dk, dv of the module against the fp64 reference."""
    info = module.spec
    out, stats = torch.ops.pfc.attention(q, k, v, module.attention_id)
    q64, k64, v64 = (t.detach().double().requires_grad_() for t in (q, k, v))
    o64, d64, clamped64 = ref.attention(info, module.features, q64, k64, v64)
    assert out.shape == q.shape and out.dtype == torch.float32
    assert stats.shape == (*q.shape[:-1], 3)
    assert rel_err(out, o64) <= 1e-5, rel_err(out, o64)
    # stats: M, D·exp(−M), clamped.
    denominator = stats[..., 1].double() * stats[..., 0].double().exp()
    assert torch.allclose(denominator, d64.detach(), rtol=1e-4, atol=0)
    if info["features"] == 0:
        assert (stats[..., 2] == 1).all()
    else:
        # Where the low-rank mass is clearly on one side of ε.
        mass = _low_rank_mass(info, module.features, q64, k64)
        clear = (mass - ref.EPSILON).abs() > 1e-4 * d64.detach()
        assert torch.equal((stats[..., 2] == 1)[clear], clamped64[clear])

    got = torch.autograd.grad(out, (q, k, v), dout)
    want = torch.autograd.grad(o64, (q64, k64, v64), dout.double())
    # Relative to the gradient, with a floor for gradients that cancel to
    # about 0 (one causal token: dq = 0): f32 rounding of terms of |dout|'s
    # size.
    floor = 1e-6 * float(dout.double().norm())
    for name, g, w in zip("qkv", got, want):
        assert g.shape == w.shape
        err = float((g.double() - w).norm())
        assert err <= 1e-4 * float(w.norm()) + floor, (
            f"d{name}: error {err:.3g}, relative {rel_err(g, w):.3g}")
    return out


def _low_rank_mass(info, w, q, k):
    """Σ_R p − Σ_S p per row (where ε is taken)."""
    tokens = q.shape[-2]
    tau = info["scale"]
    s = ref.support(info, tokens).double()
    r = torch.ones(tokens, tokens, dtype=torch.float64)
    if info["causal"]:
        r = r.tril()
    p = ref.feature_map(q.detach(), w.double(), tau) @ \
        ref.feature_map(k.detach(), w.double(), tau).transpose(-1, -2)
    return (p * r).sum(-1) - (p * s).sum(-1)


@pytest.mark.parametrize("config", list(CONFIGS))
def test_matches_reference(config, seed, gen):
    module = make(config)
    info = module.spec
    for _ in range(2):
        batch = int(torch.randint(1, 3, (), generator=gen))
        tokens = int(torch.randint(1, info["seq_len"] + 1, (), generator=gen))
        print(f"seed {seed}: batch {batch}, {tokens} tokens")
        q, k, v = inputs(gen, batch, info["heads"], tokens, info["head_dim"], True)
        dout = torch.randn(q.shape, generator=gen)
        check_against_reference(module, q, k, v, dout)
    # And the whole sequence.
    q, k, v = inputs(gen, 1, info["heads"], info["seq_len"], info["head_dim"], True)
    check_against_reference(module, q, k, v, torch.randn(q.shape, generator=gen))


def test_reference_support_is_pfcs(seed):
    """The reference's support, built from the butterfly's definition, is
    the block list pfc reports (a check of the reference)."""
    for config in CONFIGS:
        info = make(config).spec
        blocks = ref.support_blocks(info)
        assert blocks.shape == (info["block_rows"],) * 2
        got = sorted(map(tuple, blocks.nonzero().tolist()))
        assert got == sorted(map(tuple, info["blocks"])), config
        assert int(blocks.sum()) == info["nnz_blocks"]


def test_reference_gradients_are_finite_differences(gen):
    """torch.autograd.gradcheck of the fp64 reference itself (causal, with
    features and a sparse support), so that comparing pfc's backward with
    its autograd gradients is comparing with the derivatives."""
    module = make("causal")
    info, w = module.spec, module.features.double()
    q, k, v = (t.double() for t in inputs(gen, 1, 1, 40, info["head_dim"]))
    for t in (q, k, v):
        t.requires_grad_()
    assert torch.autograd.gradcheck(
        lambda q, k, v: ref.attention(info, w, q, k, v)[0], (q, k, v), eps=1e-6,
        atol=1e-7, rtol=1e-5, fast_mode=True)


def _functional_spec_id(tokens, heads, head_dim, *, block=64, butterfly_size=None,
                        factors=None, strides=None, shuffle=False, global_tokens=0,
                        features=0, is_causal=False, seed=0, scale=None):
    """The spec id pixelfly_attention runs for q [*, heads, tokens, head_dim]."""
    from pfc import _ops
    from pfc import nn as pnn
    pattern = pnn._functional_pattern_id(block, butterfly_size, factors, strides, shuffle,
                                         global_tokens, features, is_causal, seed, scale)
    assert pattern < 0
    return _ops.resolve_attention(pattern, tokens, heads, head_dim)


def _compiled_for(attention_id):
    from pfc import _ops
    return _ops._attention_compiled[(attention_id, max(1, torch.get_num_threads()))]


def test_softmax_limit(gen):
    """m = 0: softmax attention on the support, as
    F.scaled_dot_product_attention computes it (to ε in the denominator):
    a support covering every score (causal), and a sparse one as a mask."""
    module = make("sparse_m0")
    for causal in (True, False):
        if causal:
            q, k, v = inputs(gen, 2, 3, 37, 8, True)
            # A spec no other test uses: a forward without gradients compiles
            # the forward kernel alone, the first backward both.
            with torch.no_grad():
                plain = pfc.pixelfly_attention(q.detach(), k.detach(), v.detach(),
                                               is_causal=True, block=64)  # S=2 k=2: all
            plain_id = _functional_spec_id(37, 3, 8, is_causal=True, block=64)
            assert not _compiled_for(plain_id).has_backward
            out = pfc.pixelfly_attention(q, k, v, is_causal=True, block=64)
            assert _compiled_for(plain_id).has_backward
            torch.testing.assert_close(out, plain, rtol=0, atol=0)
            mask = None
        else:
            q, k, v = inputs(gen, 2, 1, 150, 8, True)
            out = module(q, k, v)
            mask = ref.support(module.spec, 150)
            assert 0 < mask.double().mean() < 0.9
        q64, k64, v64 = (t.detach().double().requires_grad_() for t in (q, k, v))
        want = F.scaled_dot_product_attention(q64, k64, v64, is_causal=causal,
                                              attn_mask=mask)
        assert rel_err(out, want) <= 1e-5
        dout = torch.randn(q.shape, generator=gen)
        got = torch.autograd.grad(out, (q, k, v), dout)
        wants = torch.autograd.grad(want, (q64, k64, v64), dout.double())
        for g, w in zip(got, wants):
            assert rel_err(g, w) <= 1e-4


def test_performer_limit(gen):
    """No support: O = φ(Q)·(φ(K)ᵀ·V) / max(φ(Q)·φ(K)ᵀ·1, ε), with causal
    prefix sums (Performer), written here without the reference."""
    module = make("performer")
    info = module.spec
    q, k, v = inputs(gen, 2, info["heads"], 50, info["head_dim"])
    w = module.features.double()
    fq = ref.feature_map(q.double(), w, info["scale"])
    fk = ref.feature_map(k.double(), w, info["scale"])
    # Causal: row i sums φ(k_j) v_jᵀ over j <= i.
    kv = torch.cumsum(fk[..., :, :, None] * v.double()[..., :, None, :], dim=-3)
    ks = torch.cumsum(fk, dim=-2)
    num = (fq[..., :, :, None] * kv).sum(-2)
    den = (fq * ks).sum(-1).clamp_min(ref.EPSILON)
    assert rel_err(module(q, k, v), num / den[..., None]) <= 1e-5


def test_features_are_the_kernels(seed):
    """The buffer W is the spec's (random_features) and the compiled
    kernel's, fixed by the seed, never a parameter or saved."""
    from pfc import _ops
    module = make("causal")
    info = module.spec
    assert module.features.shape == (info["features"] // 2, info["head_dim"])
    assert module.features.dtype == torch.float32
    kernel = _ops._attention(module.attention_id, backward=False)
    assert torch.equal(module.features, torch.from_numpy(kernel.random_features()))
    assert torch.equal(module.features, make("causal").features)
    other = pfc.PixelflyAttention(**dict(CONFIGS["causal"], seed=4))
    assert not torch.equal(module.features, other.features)
    assert list(module.parameters()) == []
    assert "features" not in module.state_dict()
    assert make("sparse_m0").features.shape == (0, 8)


def test_non_contiguous_and_batched_views(gen):
    module = make("causal")
    info = module.spec
    b, h, t, d = 2, info["heads"], 33, info["head_dim"]
    q, k, v = inputs(gen, b, h, t, d)
    want = module(q, k, v)
    # [batch, T, heads, d] transposed to [batch, heads, T, d], as a
    # projection's output is.
    views = [x.transpose(1, 2).contiguous().transpose(1, 2) for x in (q, k, v)]
    assert not views[0].is_contiguous()
    torch.testing.assert_close(module(*views), want, rtol=0, atol=0)
    # A slice of a longer sequence, and an expanded (stride-0) value.
    long = [torch.cat([x, x], 2) for x in (q, k, v)]
    torch.testing.assert_close(module(*(x[:, :, :t] for x in long)), want, rtol=0, atol=0)
    v1 = v[:, :, :1].expand(b, h, t, d)
    out = module(q, k, v1)
    torch.testing.assert_close(module(q, k, v1.contiguous()), out, rtol=0, atol=0)
    # Gradients through views.
    q2, k2, v2 = (x.clone().requires_grad_() for x in (q, k, v))
    qt = q2.transpose(2, 3).contiguous().transpose(2, 3)
    check_against_reference(module, qt, k2[:, :, ::1], v2.expand(b, h, t, d),
                            torch.randn(q.shape, generator=gen))


def test_shorter_calls_use_the_leading_part(gen):
    """Causal: a call with T < seq_len gives the first T rows of a call with
    the whole sequence (the same pattern's leading part)."""
    module = make("causal")
    info = module.spec
    q, k, v = inputs(gen, 1, info["heads"], info["seq_len"], info["head_dim"])
    whole = module(q, k, v)
    for tokens in (1, 16, 37):
        part = module(q[:, :, :tokens], k[:, :, :tokens], v[:, :, :tokens])
        torch.testing.assert_close(part, whole[:, :, :tokens], rtol=1e-5, atol=1e-6)


def test_zero_sizes():
    module = make("causal")
    h, d = module.num_heads, module.head_dim
    for shape in [(0, h, 5, d), (2, h, 0, d)]:
        q = torch.zeros(shape, requires_grad=True)
        out = module(q, q, q)
        assert out.shape == shape
        out.sum().backward()
        assert q.grad.shape == shape


def test_opcheck(gen):
    module = make("causal")
    info = module.spec
    q, k, v = inputs(gen, 2, info["heads"], 21, info["head_dim"], True)
    torch.library.opcheck(torch.ops.pfc.attention.default, (q, k, v, module.attention_id))
    q, k, v = (x.detach() for x in (q, k, v))
    out, stats = torch.ops.pfc.attention(q, k, v, module.attention_id)
    dout = torch.randn(q.shape, generator=gen)
    torch.library.opcheck(torch.ops.pfc.attention_backward.default,
                          (q, k, v, out, stats, dout, module.attention_id))


class _Block(nn.Module):
    """A small self-attention block around PixelflyAttention."""

    def __init__(self, attention, dim):
        super().__init__()
        self.heads, self.head_dim = attention.num_heads, attention.head_dim
        self.qkv = nn.Linear(dim, 3 * self.heads * self.head_dim)
        self.out = nn.Linear(self.heads * self.head_dim, dim)
        self.attention = attention

    def forward(self, x):
        b, t, _ = x.shape
        q, k, v = self.qkv(x).reshape(b, t, 3, self.heads, self.head_dim).permute(
            2, 0, 3, 1, 4)
        o = self.attention(q, k, v)
        return self.out(o.transpose(1, 2).reshape(b, t, -1))


def test_compile_fullgraph_equals_eager(gen):
    torch._dynamo.reset()
    torch.manual_seed(0)
    model = _Block(make("causal"), 20)
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    x = torch.randn(2, 45, 20, generator=gen)
    y_eager = model(x)
    y_eager.square().sum().backward()
    eager_grads = {n: p.grad.clone() for n, p in model.named_parameters()}
    model.zero_grad()
    y_comp = compiled(x)
    y_comp.square().sum().backward()
    torch.testing.assert_close(y_comp, y_eager, rtol=1e-6, atol=1e-6)
    for n, p in model.named_parameters():
        torch.testing.assert_close(p.grad, eager_grads[n], rtol=1e-5, atol=1e-6, msg=n)


def test_compile_functional_fullgraph(gen):
    """pixelfly_attention inside torch.compile(fullgraph=True): its spec is
    registered while tracing, without a graph break."""
    torch._dynamo.reset()

    def f(q, k, v):
        return pfc.pixelfly_attention(q, k, v, is_causal=True, block=16,
                                      butterfly_size=4, features=8, seed=3).sin()

    compiled = torch.compile(f, fullgraph=True, backend="aot_eager")
    # 85..96 tokens: the "causal" spec; a second length recompiles with T
    # symbolic (automatic dynamic shapes), then another spec (5 blocks).
    for tokens in (85, 90, 70):
        q, k, v = inputs(gen, 1, 2, tokens, 16, True)
        got = compiled(q, k, v)
        want = f(q, k, v)
        torch.testing.assert_close(got, want, rtol=0, atol=0)
        dout = torch.randn(got.shape, generator=gen)
        for g, w in zip(torch.autograd.grad(got, (q, k, v), dout),
                        torch.autograd.grad(want, (q, k, v), dout)):
            torch.testing.assert_close(g, w, rtol=0, atol=0)


def test_no_grad_saves_nothing(gen):
    module = make("causal")
    info = module.spec
    q, k, v = inputs(gen, 1, info["heads"], 19, info["head_dim"], True)
    saved = []

    def pack(t):
        saved.append(t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        want = module(q, k, v)
        assert len(saved) == 5, "q, k, v, out, stats"
        saved.clear()
        with torch.no_grad():
            y1 = module(q, k, v)
        with torch.inference_mode():
            y2 = module(q.detach(), k.detach(), v.detach())
    assert saved == []
    assert y1.grad_fn is None and not y1.requires_grad
    assert y2.is_inference() and not y2.requires_grad
    torch.testing.assert_close(y1, want.detach(), rtol=0, atol=0)
    torch.testing.assert_close(y2, want.detach(), rtol=0, atol=0)


def test_functional_shares_the_modules_spec(gen):
    """pixelfly_attention builds the spec for T rounded up to whole blocks:
    every T with as many blocks shares it, and so does a module with that
    seq_len and the same arguments."""
    args = dict(is_causal=True, block=16, butterfly_size=4, features=8, seed=3)
    q, k, v = inputs(gen, 1, 2, 81, 16)
    out = pfc.pixelfly_attention(q, k, v, **args)
    module = pfc.PixelflyAttention(96, 2, 16, block=16, butterfly_size=4, features=8,
                                   is_causal=True, seed=3)
    torch.testing.assert_close(out, module(q, k, v), rtol=0, atol=0)
    ids = {_functional_spec_id(t, 2, 16, **args) for t in (81, 90, 96)}
    assert ids == {module.attention_id}
    assert _functional_spec_id(80, 2, 16, **args) != module.attention_id
    # The default butterfly: the largest power of two dividing the padded
    # length and at most its number of blocks; every factor.
    assert pfc.default_butterfly_size(200, 16) == 8
    assert pfc.default_butterfly_size(1024, 64) == 16
    assert pfc.default_butterfly_size(10, 64) == 2
    module = pfc.PixelflyAttention(200, 1, 8, block=16)
    assert module.spec["butterfly"]["size"] == 8
    assert module.spec["butterfly"]["strides"] == [2, 4, 8]


def test_from_spec_and_repr(tmp_path):
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    path = os.path.join(root, "specs", "attention", "gpt2_small_attn.yaml")
    module = pfc.PixelflyAttention.from_spec(path)
    assert (module.seq_len, module.num_heads, module.head_dim) == (1024, 12, 64)
    assert module.is_causal and module.num_features == 64
    assert module.features.shape == (32, 64)
    text = repr(module)
    for part in ("pattern='S=16 k=2,4'", "density=0.2353 (32 of 136 blocks)", "m=64",
                 "causal=True"):
        assert part in text, text
    # Text, and a module from the same arguments: one spec, one id.
    same = pfc.PixelflyAttention.from_spec(module.spec_text)
    assert same.attention_id == module.attention_id
    args = make("shuffle_global")
    file = tmp_path / "a.yaml"
    file.write_text(args.spec_text)
    assert pfc.PixelflyAttention.from_spec(file).attention_id == args.attention_id
    assert "pattern='S=8 k=2,8 shuffle global=20'" in repr(args)
    assert "pattern='none'" in repr(make("performer"))
    # Pickling re-registers the spec.
    clone = pickle.loads(pickle.dumps(args))
    assert clone.attention_id == args.attention_id
    assert torch.equal(clone.features, args.features)


def test_bad_inputs_raise_value_error():
    module = make("causal")
    h, d = module.num_heads, module.head_dim
    q = torch.randn(1, h, 10, d)

    def raises(match, *args):
        with pytest.raises(ValueError, match=match):
            module(*args)

    raises("float64", q.double(), q.double(), q.double())
    raises("bfloat16", q, q.bfloat16(), q)
    raises(r"shape \[batch, heads, T, head_dim\]", q[0], q[0], q[0])
    raises("2 heads of dimension 16", q[:, :1], q[:, :1], q[:, :1])
    raises("2 heads of dimension 16", q[..., :8], q[..., :8], q[..., :8])
    long = torch.randn(1, h, 97, d)
    raises("at most 96 tokens", long, long, long)
    raises("one shape", q, q[:, :, :5], q)
    raises("one shape", q, q, torch.randn(2, h, 10, d))
    # The backward op checks its tensors too.
    out, stats = torch.ops.pfc.attention(q, q, q, module.attention_id)
    with pytest.raises(ValueError, match="stats has shape"):
        torch.ops.pfc.attention_backward(q, q, q, out, stats[..., :2], out,
                                         module.attention_id)
    with pytest.raises(ValueError, match="dout has shape"):
        torch.ops.pfc.attention_backward(q, q, q, out, stats, out[:, :, :3],
                                         module.attention_id)
    with pytest.raises(ValueError, match="unknown attention id"):
        torch.ops.pfc.attention(q, q, q, 10**6)
    # Bad patterns: pfc's diagnostics.
    with pytest.raises(ValueError, match=r"<PixelflyAttention>:\d+:\d+: error: .*divide"):
        pfc.PixelflyAttention(100, 1, 8, block=16, butterfly_size=32)  # 112 tokens
    with pytest.raises(ValueError, match="error: .*even"):
        pfc.PixelflyAttention(64, 1, 8, block=16, features=7)
    with pytest.raises(ValueError, match="error: .*power of two"):
        pfc.PixelflyAttention(64, 1, 8, block=12)
    with pytest.raises(ValueError, match="strides or factors"):
        pfc.PixelflyAttention(64, 1, 8, factors=1, strides=[2])
    with pytest.raises(ValueError, match="butterfly_size=0"):
        pfc.PixelflyAttention(64, 1, 8, butterfly_size=0, features=8, global_tokens=4)
    with pytest.raises(ValueError, match=r"<pixelfly_attention>:\d+:\d+: error: .*divide"):
        pfc.pixelfly_attention(q, q, q, block=16, butterfly_size=32)  # 16 tokens
    with pytest.raises(ValueError, match=r"\[batch, heads, T, head_dim\]"):
        pfc.pixelfly_attention(q[0], q[0], q[0])
    with pytest.raises(ValueError, match="float64"):
        pfc.pixelfly_attention(q.double(), q.double(), q.double())
    with pytest.raises(ValueError, match="one shape"):
        pfc.pixelfly_attention(q, q, q[:, :, :4])
    with pytest.raises(ValueError, match="strides or factors"):
        pfc.pixelfly_attention(q, q, q, factors=1, strides=[2])
    with pytest.raises(ValueError, match="block is 0"):
        pfc.pixelfly_attention(q, q, q, block=0)
    with pytest.raises(ValueError, match="error"):
        pfc.PixelflyAttention.from_spec("pfc: 1\nattention:\n  name: x\n")
    with pytest.raises(ValueError, match="computes in f32 only"):
        pfc.register_attention(module.spec_text.replace("dtype: f32", "dtype: bf16"))
