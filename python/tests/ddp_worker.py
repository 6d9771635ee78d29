"""One rank of test_ddp: trains its half of the batch under DDP (gloo)."""
import faulthandler
import os

import torch
import torch.distributed as dist

import pfc


def train(net, x, target, steps, wrap=None):
    model = wrap(net) if wrap else net
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(steps):
        opt.zero_grad()
        loss = (model(x) - target).square().mean()
        loss.backward()
        opt.step()
    return net


def make(seed, config):
    """A model of two Pixelfly layers (one of `config`, one scalar-γ) and a
    dense head, the same for the same seed."""
    from helpers import make_layer
    torch.manual_seed(seed)
    first = make_layer(config, seed)
    return torch.nn.Sequential(
        first, torch.nn.ReLU(),
        pfc.PixelflyLinear(first.out_features, 24, block=8, butterfly_size=4, rank=4,
                           seed=seed + 1),
        torch.nn.ReLU(), torch.nn.Linear(24, 5))


def worker(rank, world, port, seed, config, x, target, steps, out):
    # A native abort (SIGABRT) then prints every thread's Python stack.
    faulthandler.enable()
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        net = make(seed, config)
        half = x.shape[0] // world
        part = slice(rank * half, (rank + 1) * half)
        train(net, x[part], target[part], steps,
              wrap=lambda m: torch.nn.parallel.DistributedDataParallel(m))
        if rank == 0:
            pfc.save_safetensors(out, net.state_dict())
        # No rank tears down its group (or exits) while its peer is still
        # communicating: gloo's threads outlive destroy_process_group() and
        # run on into interpreter shutdown, where a late peer breaks them.
        dist.barrier()
    finally:
        dist.destroy_process_group()
