"""Two DDP processes (gloo, CPU) train exactly as one process does."""
import socket

import torch
import torch.multiprocessing as mp

import pfc
import ddp_worker


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_two_processes_equal_one(tmp_path, seed, gen):
    config, steps = "gate", 3
    probe = ddp_worker.make(seed, config)
    x = torch.randn(16, probe[0].in_features, generator=gen)
    target = torch.randn(16, probe[-1].out_features, generator=gen)
    out = tmp_path / "ddp.safetensors"
    mp.spawn(ddp_worker.worker, nprocs=2, join=True,
             args=(2, free_port(), seed, config, x, target, steps, str(out)))
    single = ddp_worker.train(ddp_worker.make(seed, config), x, target, steps)
    ddp = pfc.load_safetensors(out)
    for name, t in single.state_dict().items():
        torch.testing.assert_close(ddp[name], t.detach(), rtol=1e-5, atol=1e-6, msg=name)
    # Training moved the parameters.
    for name in ("0.blocks", "2.blocks", "4.weight"):
        assert not torch.equal(ddp[name], probe.state_dict()[name]), name
