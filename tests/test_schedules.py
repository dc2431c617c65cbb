"""Learning-rate schedules: exact values, and their use in train()."""
import math

import numpy as np
import pytest

from nnlib import SGD, Network, cosine_decay, step_decay, train
from nnlib.schedules import constant


def test_step_decay_exact_values():
    schedule = step_decay(0.4, drop=0.5, every=3)
    assert [schedule(e) for e in range(7)] == [0.4, 0.4, 0.4, 0.2, 0.2, 0.2, 0.1]


def test_cosine_decay_exact_values():
    schedule = cosine_decay(1.0, epochs=4, lr_min=0.2)
    # 0.2 + 0.8 (1 + cos(pi e / 4)) / 2 for e = 0..4, then held at lr_min
    expected = [1.0, 0.2 + 0.4 * (1 + math.sqrt(0.5)), 0.6, 0.2 + 0.4 * (1 - math.sqrt(0.5)), 0.2, 0.2]
    assert [schedule(e) for e in range(6)] == pytest.approx(expected, abs=1e-15)


def test_constant():
    assert constant(0.3)(0) == constant(0.3)(99) == 0.3


@pytest.mark.parametrize("make, message", [
    (lambda: step_decay(0.1, drop=0.0), "step_decay needs 0 < drop <= 1 and every >= 1"),
    (lambda: step_decay(0.1, every=0), "step_decay needs 0 < drop <= 1 and every >= 1"),
    (lambda: cosine_decay(0.1, epochs=0), "cosine_decay needs epochs >= 1")])
def test_bad_schedule_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def tiny_problem():
    rng = np.random.default_rng(0)
    return rng.standard_normal((20, 3)), rng.integers(0, 2, 20)


def test_train_applies_the_schedule_each_epoch():
    X, y = tiny_problem()
    optimizer = SGD(lr=1.0)
    history = train(Network([3, 2]), X, y, optimizer=optimizer, epochs=4, batch_size=5,
                    schedule=step_decay(0.4, drop=0.5, every=2))
    assert history.lr == [0.4, 0.4, 0.2, 0.2] and optimizer.lr == 0.2


def test_a_schedule_reaching_zero_is_refused_in_plain_words():
    X, y = tiny_problem()
    with pytest.raises(ValueError, match="the learning rate must be a positive number, got 0.0"):
        train(Network([3, 2]), X, y, epochs=3, schedule=cosine_decay(0.1, epochs=2))
