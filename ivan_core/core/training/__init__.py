"""Training: the loop, the bidirectional loss, pair datasets, checkpoints, model keys, device."""

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
