"""Data-parallel training of a Pixelfly MLP with torchrun (DDP, gloo on CPUs).

    .venv/bin/torchrun --nproc-per-node 2 examples/ddp_train.py --steps 50

Each process builds the same dense MLP (same seed), converts it with
pfc.pixelfly (the budget planner, as `pfc plan`), wraps it in
DistributedDataParallel and trains on its shard of a synthetic regression
task; DDP averages the gradients, so every rank ends with the same
parameters, which rank 0 checks at the end and saves (--out). On GPUs the
same script runs with the nccl backend once pfc's CUDA layers are bound.
"""

import argparse
import os
import sys

import torch
import torch.distributed as dist
from torch import nn

import pfc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--batch", type=int, default=64, help="per process")
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--budget", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="save the trained state_dict (safetensors) here")
    args = parser.parse_args()
    if "RANK" not in os.environ:
        parser.error("run me with torchrun, e.g. torchrun --nproc-per-node 2 "
                     f"{sys.argv[0]}")

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    # Leave each process its share of the cores.
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))

    torch.manual_seed(args.seed)
    d = args.width
    model = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d), nn.GELU(),
                          nn.Linear(d, 10))
    plan = pfc.pixelfly(model, budget=args.budget, exclude=["4"])  # the head stays dense
    if rank == 0:
        print(plan)
    ddp = nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.AdamW(ddp.parameters(), lr=1e-3)

    # A fixed random teacher; each rank draws its own shard of inputs.
    teacher = torch.randn(d, 10, generator=torch.Generator().manual_seed(args.seed + 1))
    data = torch.Generator().manual_seed(args.seed + 100 + rank)
    for step in range(1, args.steps + 1):
        x = torch.randn(args.batch, d, generator=data)
        loss = nn.functional.mse_loss(ddp(x), torch.tanh(x @ teacher / d ** 0.5))
        opt.zero_grad()
        loss.backward()
        opt.step()
        pfc.clamp_gamma_(model)  # γ in [0, 1], as pfc train keeps it
        if rank == 0 and (step % 10 == 0 or step == args.steps):
            print(f"step {step:4d}  loss {loss.item():.4f}", flush=True)

    # Every rank holds the same parameters: compare rank 0's with the others'.
    drift = torch.zeros(())
    for p in model.parameters():
        reference = p.detach().clone()
        dist.broadcast(reference, src=0)
        drift = torch.maximum(drift, (p.detach() - reference).abs().max())
    dist.all_reduce(drift, op=dist.ReduceOp.MAX)
    if rank == 0:
        print(f"{world} processes, largest parameter difference between ranks: "
              f"{drift.item():.3g}")
        if args.out:
            pfc.save_safetensors(args.out, model.state_dict())
            print(f"saved {args.out}")
    # No rank tears down (or exits) while another still communicates: gloo's
    # threads outlive destroy_process_group() into interpreter shutdown.
    dist.barrier()
    dist.destroy_process_group()
    return 0 if drift.item() == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
