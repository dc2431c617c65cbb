"""train(..., augment=f): f sees every training batch with its own seeded generator, changes what the
network learns from, leaves the data and the shuffling alone, and a broken f is reported clearly."""
import numpy as np
import pytest

from nnlib import Network, train
from nnlib.augment import Augmentation


def small_problem(m=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((m, 784))
    y = rng.integers(0, 10, m)
    return X, y


def net():
    return Network([784, 16, 10], activation="relu", init="he", seed=1)


def test_augment_is_called_on_every_batch_with_a_generator():
    X, y = small_problem()
    calls = []

    def record(batch, rng):
        calls.append((batch.shape, isinstance(rng, np.random.Generator)))
        return batch

    train(net(), X, y, epochs=2, batch_size=16, augment=record)
    assert calls == [((16, 784), True)] * 8


def test_an_identity_augmentation_changes_nothing():
    X, y = small_problem()
    plain, augmented = net(), net()
    train(plain, X, y, epochs=2, batch_size=16)
    train(augmented, X, y, epochs=2, batch_size=16, augment=lambda batch, rng: batch)
    for a, b in zip(plain.parameters(), augmented.parameters()):
        assert np.array_equal(a, b)


def test_the_network_learns_from_the_augmented_batches():
    X, y = small_problem()
    seen = []

    def flip_and_record(batch, rng):
        out = batch[:, ::-1].copy()
        seen.append(out)
        return out

    a, b = net(), net()
    train(a, X, y, epochs=1, batch_size=64, augment=flip_and_record)
    train(b, seen[0], y, epochs=1, batch_size=64)  # full batch: same order, so the same single step
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(p, q)


def test_augmentation_is_seeded_and_leaves_the_data_unchanged():
    X, y = small_problem()
    before = X.copy()
    runs = []
    for seed in (0, 0, 1):
        model = Network([784, 16, 10], activation="relu", init="he", seed=1)
        train(model, X, y, epochs=2, batch_size=16, seed=seed, augment=Augmentation(alpha=20))
        runs.append(model.weights[0].copy())
    assert np.array_equal(runs[0], runs[1]) and not np.allclose(runs[0], runs[2])
    assert np.array_equal(X, before)


def test_augmentation_does_not_change_the_shuffling():
    X, y = small_problem()
    orders = {}
    for name, augment in (("plain", None), ("augmented", lambda batch, rng: batch + 0 * rng.random())):
        rows = []
        model = net()
        original = model.loss_and_gradients

        def spy(X_batch, Y_batch, training=True):
            rows.append(X_batch[:, 0].copy())
            return original(X_batch, Y_batch, training)
        model.loss_and_gradients = spy
        train(model, X, y, epochs=2, batch_size=16, augment=augment)
        orders[name] = np.concatenate(rows)
    assert np.array_equal(orders["plain"], orders["augmented"])


@pytest.mark.parametrize("augment, words", [
    ("elastic", "augment must be a function (X_batch, rng) -> X_batch"),
    (lambda batch, rng: batch[:, :100], "augment must return an array of the batch's shape (16, 784)"),
    (lambda batch, rng: None, "augment must return an array of the batch's shape"),
])
def test_a_broken_augmentation_is_reported(augment, words):
    X, y = small_problem()
    with pytest.raises(ValueError) as error:
        train(net(), X, y, epochs=1, batch_size=16, augment=augment)
    assert words in str(error.value)
