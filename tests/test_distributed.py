"""Data-parallel training: two gloo processes under torchrun take the steps of one process."""

import os
import subprocess
import sys

import pytest
import torch
from torch.utils.data import BatchSampler, SequentialSampler

from ivan_core.core.training.distributed import ShardedBatches


def test_shards_of_a_batch_add_up_to_the_batch():
    batches = BatchSampler(SequentialSampler(range(12)), batch_size=4, drop_last=True)
    shards = [list(ShardedBatches(batches, rank, 2)) for rank in range(2)]
    assert [sorted(a + b) for a, b in zip(*shards, strict=True)] == list(batches)
    with pytest.raises(ValueError, match="not divisible by the 3 processes"):
        ShardedBatches(batches, 0, 3)


def _train(tmp_path, name, processes):
    out = tmp_path / name
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}"]
    cmd = [*(launcher if processes > 1 else [sys.executable]), "-m", "ivan_core", "train", "t1pd_to_t2",
           "--profile", "smoke", "--out", str(out), "--quiet"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env={"OMP_NUM_THREADS": "1", **os.environ})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    (weights,) = out.glob("*.pt")
    return torch.load(weights, weights_only=True), (out / weights.with_suffix(".json").name).read_text(), done.stdout


def test_two_gloo_processes_train_the_weights_of_one(tmp_path):
    one, _, _ = _train(tmp_path, "one", 1)
    two, card, stdout = _train(tmp_path, "two", 2)
    assert set(one) == set(two)
    for name in one:
        torch.testing.assert_close(two[name], one[name], rtol=1e-4, atol=1e-5, msg=name)
    assert "torchrun --nproc_per_node 2" in card
    assert stdout.count("[ivan] t1pd_to_t2:") == 1  # rank 0 alone reports and writes the card
