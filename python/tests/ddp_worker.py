"""One rank of test_ddp: trains its half of the batch under DDP (gloo)."""
import os

import torch
import torch.distributed as dist

import pfc


def train(layer, x, target, steps, wrap=None):
    model = wrap(layer) if wrap else layer
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(steps):
        opt.zero_grad()
        loss = (model(x) - target).square().mean()
        loss.backward()
        opt.step()
    return layer


def make(seed, config):
    from helpers import make_layer
    return make_layer(config, seed)


def worker(rank, world, port, seed, config, x, target, steps, out):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        layer = make(seed, config)
        half = x.shape[0] // world
        part = slice(rank * half, (rank + 1) * half)
        train(layer, x[part], target[part], steps,
              wrap=lambda m: torch.nn.parallel.DistributedDataParallel(m))
        if rank == 0:
            pfc.save_safetensors(out, layer.state_dict())
    finally:
        dist.destroy_process_group()
