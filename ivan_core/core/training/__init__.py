"""Training: the loop, the bidirectional loss, (X, Y) pair datasets, checkpoints, model keys, device.

>>> from ivan_core.core.training import TrainConfig, train   # doctest: +SKIP
"""

from ivan_core.core.training.loop import (
    NonFiniteLossError,
    TrainConfig,
    TrainResult,
    build_model,
    evaluate_loss,
    loader,
    steps_per_epoch,
    train,
)

__all__ = ["TrainConfig", "TrainResult", "train", "build_model", "evaluate_loss", "loader", "steps_per_epoch",
           "NonFiniteLossError"]
