"""Learning-rate schedules: functions epoch -> learning rate, for train(..., schedule=...)."""
import math


def constant(lr):
    """lr at every epoch."""
    return lambda epoch: lr


def step_decay(lr, drop=0.5, every=10):
    """lr * drop^floor(epoch / every): e.g. halve the rate every 10 epochs."""
    if not 0 < drop <= 1 or every < 1:
        raise ValueError(f"step_decay needs 0 < drop <= 1 and every >= 1, got drop={drop}, every={every}")
    return lambda epoch: lr * drop ** (epoch // every)


def cosine_decay(lr, epochs, lr_min=0.0):
    """lr_min + (lr - lr_min) (1 + cos(pi epoch / epochs)) / 2: from lr at epoch 0 smoothly down to lr_min."""
    if epochs < 1:
        raise ValueError(f"cosine_decay needs epochs >= 1, got {epochs}")
    return lambda epoch: lr_min + 0.5 * (lr - lr_min) * (1 + math.cos(math.pi * min(epoch, epochs) / epochs))
