"""An fp64 reference of Pixelfly attention, written from the formulas of
docs/ATTENTION.md and independent of pfc's code: the support is built from
the butterfly's definition (the explicit factor matrices, the einops column
shuffle, the stretch over the padded tokens, dense global rows and columns,
the OR-reduction onto b×b blocks), and the T×T matrices are materialized.

Per batch and head, with τ the scale, x̃ = √τ·x and W [m/2, d]:

    φ(x) = m^(−1/2)·exp([W·x̃ ; −W·x̃] − ‖x̃‖²/2)
    e_ij = exp(τ q_i·k_j),  p_ij = φ(q_i)·φ(k_j)
    N_i  = Σ_{j∈S_i} (e_ij − p_ij)·v_j + Σ_{j∈R_i} p_ij·v_j
    D_i  = Σ_{j∈S_i} e_ij + max(Σ_{j∈R_i} p_ij − Σ_{j∈S_i} p_ij, ε)
    O_i  = N_i / D_i

R_i is every token (causal: j <= i), S_i the support's (causal: j <= i).
Scores are exponentiated as they are: keep |τ q·k| well below 700.
"""
import torch

EPSILON = 1e-6


def butterfly_factor(size, k):
    """The factor of size k over S×S: S/k diagonal blocks [[I, I], [I, I]],
    I the (k/2)×(k/2) identity."""
    half = k // 2
    eye = torch.eye(half, dtype=torch.bool)
    block = torch.cat([torch.cat([eye, eye], 1), torch.cat([eye, eye], 1)], 0)
    return torch.block_diag(*([block] * (size // k)))


def coarse_layout(butterfly):
    """The coarse S×S layout: the OR of the factors, then (shuffle) einops'
    ``rearrange(l, 'm (group c) -> m (c group)')``, groups = S / max stride."""
    size = butterfly["size"]
    layout = torch.zeros(size, size, dtype=torch.bool)
    for k in butterfly["strides"]:
        layout |= butterfly_factor(size, k)
    if butterfly["shuffle"]:
        groups = size // max(butterfly["strides"])
        layout = layout.reshape(size, groups, size // groups).transpose(1, 2).reshape(size, size)
    return layout


def support_blocks(info):
    """The support's blocks over the padded sequence, [n, n] bool (n =
    ⌈seq_len/b⌉), from the spec dict's parameters; causal drops the blocks
    above the diagonal; all False without a butterfly."""
    b = info["block"]
    padded = -(-info["seq_len"] // b) * b
    n = padded // b
    butterfly = info["butterfly"]
    if butterfly is None:
        return torch.zeros(n, n, dtype=torch.bool)
    size = butterfly["size"]
    assert padded % size == 0
    cell = padded // size
    coarse = coarse_layout(butterfly)
    cells = torch.arange(padded) // cell
    element = coarse[cells][:, cells]
    g = butterfly["global"]
    element[:g, :] = True
    element[:, :g] = True
    blocks = element.reshape(n, b, n, b).any(dim=3).any(dim=1)
    if info["causal"]:
        blocks = torch.tril(blocks)
    return blocks


def support(info, tokens):
    """S as a [tokens, tokens] bool matrix: the leading part of the padded
    support, causal applied element by element."""
    b = info["block"]
    blocks = support_blocks(info)
    idx = torch.arange(tokens) // b
    s = blocks[idx][:, idx]
    if info["causal"]:
        s = s & torch.ones(tokens, tokens, dtype=torch.bool).tril()
    return s


def feature_map(x, w, tau):
    """φ(x) [..., m] for x [..., d] and W [m/2, d]."""
    m = 2 * w.shape[0]
    xs = x * tau ** 0.5
    u = xs @ w.T
    sq = (xs * xs).sum(-1, keepdim=True) / 2
    return torch.cat([u, -u], -1).sub(sq).exp() / m ** 0.5


def attention(info, w, q, k, v):
    """(O, D, clamped) for q, k, v [batch, heads, T, d] in their dtype (float64
    for a reference); D and clamped are [batch, heads, T]. Differentiable."""
    tokens = q.shape[-2]
    tau = info["scale"]
    s = support(info, tokens).to(q.dtype)
    r = torch.ones(tokens, tokens, dtype=q.dtype)
    if info["causal"]:
        r = r.tril()
    e = torch.exp(tau * q @ k.transpose(-1, -2))
    if info["features"] > 0:
        w = w.to(q.dtype)
        p = feature_map(q, w, tau) @ feature_map(k, w, tau).transpose(-1, -2)
    else:
        p = torch.zeros_like(e)
    weights = (e - p) * s + p * r
    low = (p * r).sum(-1) - (p * s).sum(-1)
    clamped = ~(low >= EPSILON)
    denominator = (e * s).sum(-1) + torch.clamp(low, min=EPSILON)
    return (weights @ v) / denominator[..., None], denominator, clamped
