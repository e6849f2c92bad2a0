"""Data-parallel training with :mod:`torch.distributed`: rank, batch shards, and the ``torchrun`` process group."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.distributed as dist
from torch.utils.data import BatchSampler, Sampler


def process_group() -> tuple[int, int]:
    """``(rank, world size)`` of the initialised :mod:`torch.distributed` group; ``(0, 1)`` without one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class ShardedBatches(Sampler[list[int]]):
    """This process's share of each global batch: positions ``rank, rank + world, ...``."""

    def __init__(self, batches: BatchSampler, rank: int, world: int) -> None:
        if batches.batch_size % world:
            raise ValueError(f"batch_size {batches.batch_size} is not divisible by the {world} processes; "
                             "choose a global batch that is")
        self.batches, self.rank, self.world = batches, rank, world

    def __iter__(self):
        for batch in self.batches:
            if len(batch) % self.world:
                raise ValueError(f"a batch of {len(batch)} samples cannot be shared by {self.world} processes; "
                                 "use more training samples than the global batch")
            yield batch[self.rank :: self.world]

    def __len__(self) -> int:
        return len(self.batches)


@contextmanager
def launched_group() -> Iterator[tuple[int, int]]:
    """Join the ``torchrun`` process group (NCCL on GPU, gloo on CPU), yield ``(rank, world)``, leave it;
    without a launcher or with one process nothing is set up."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1 or dist.is_initialized():
        yield process_group()
        return
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group("nccl" if cuda else "gloo")
    try:
        yield process_group()
    finally:
        dist.destroy_process_group()
