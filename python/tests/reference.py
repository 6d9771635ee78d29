"""An fp64 reference of a Pixelfly layer, independent of pfc's code: the
dense weight is built from the block list of the spec dict, and the formula
written out here."""
import torch

PARAM_ORDER = ("blocks", "U", "V", "gamma", "gate.weight", "gate.bias", "bias")


def dense_blocks(spec, blocks):
    """B [out, in] (padding dropped) from blocks [nnz, b, b] in BSR order."""
    b = spec["block"]
    rows = spec["padded_out"] // b
    cols = spec["padded_in"] // b
    assert len(spec["blocks"]) == blocks.shape[0] == spec["nnz_blocks"]
    grid = [[None] * cols for _ in range(rows)]
    zero = torch.zeros(b, b, dtype=blocks.dtype)
    for n, (r, c) in enumerate(spec["blocks"]):
        grid[r][c] = blocks[n]
    full = torch.cat([torch.cat([g if g is not None else zero for g in row], 1)
                      for row in grid], 0)
    return full[:spec["out_features"], :spec["in_features"]]


def forward(spec, x, p):
    """y = γ·x·Bᵀ + (1−γ)·(x·V)·Uᵀ + bias in the dtype of its inputs; p maps
    pfc's names to tensors. Returns y, and the per-token sparse and low-rank
    parts (for error bounds)."""
    lead = x.shape[:-1]
    x = x.reshape(-1, spec["in_features"])
    sparse = x @ dense_blocks(spec, p["blocks"]).T
    if spec["rank"] > 0:
        low = (x @ p["V"]) @ p["U"].T
    else:
        low = torch.zeros_like(sparse)
    mode = spec["gamma_mode"]
    if mode == "scalar":
        gamma = p["gamma"]
    elif mode == "fixed":
        gamma = torch.tensor(spec["gamma_init"], dtype=x.dtype)
    else:
        gamma = (1 - torch.sigmoid(x @ p["gate.weight"] + p["gate.bias"]))[:, None]
    y = gamma * sparse + (1 - gamma) * low
    if spec["bias"]:
        y = y + p["bias"]
    return y.reshape(*lead, spec["out_features"]), sparse, low
