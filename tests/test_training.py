"""The training loop: reproducibility, batch sizes, History, printing, progress bar, divergence, bad input,
early stopping."""
import math
import re
import sys
import types

import numpy as np
import pytest

from nnlib import SGD, Adam, Network, TrainingDiverged, shuffled_batches, train


def blobs(m=60, seed=0):
    """Three well separated Gaussian blobs in 2-D: a problem a tiny network learns in a few epochs."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, m)
    centres = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    return centres[y] + rng.standard_normal((m, 2)), y


def small_net(**kwargs):
    return Network([2, 8, 3], activation="tanh", init="xavier", **kwargs)


class CountingSGD(SGD):
    """SGD that counts its steps."""

    def __init__(self, lr):
        super().__init__(lr)
        self.steps = 0

    def step(self, params, grads):
        super().step(params, grads)
        self.steps += 1


def test_same_seed_same_run_different_seed_different_run():
    X, y = blobs()
    runs = []
    for seed in (1, 1, 2):
        net = small_net()
        train(net, X, y, optimizer=SGD(0.1), epochs=2, batch_size=7, seed=seed)
        runs.append(net.weights[0].copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


@pytest.mark.parametrize("batch_size", [1, 7, 60, 1000])
def test_every_batch_size_takes_the_right_number_of_steps_and_learns(batch_size):
    X, y = blobs()
    optimizer = CountingSGD(0.5 if batch_size >= 60 else 0.1)
    history = train(small_net(), X, y, optimizer=optimizer, epochs=5, batch_size=batch_size)
    assert optimizer.steps == 5 * math.ceil(60 / batch_size)
    assert history.train_accuracy[-1] >= 0.9


@pytest.mark.parametrize("n, batch_size", [(60, 7), (60, 10), (5, 1), (5, 4)])
def test_shuffled_batches_cover_every_index_once_in_slices_of_batch_size(n, batch_size):
    batches = shuffled_batches(n, batch_size, np.random.default_rng(3))
    assert [len(b) for b in batches[:-1]] == [batch_size] * (len(batches) - 1)
    assert len(batches) == math.ceil(n / batch_size) and 1 <= len(batches[-1]) <= batch_size
    order = np.concatenate(batches)
    np.testing.assert_array_equal(order, np.random.default_rng(3).permutation(n))
    np.testing.assert_array_equal(np.sort(order), np.arange(n))


def test_train_visits_the_batches_shuffled_batches_gives(monkeypatch):
    X, y = blobs()
    net, seen = small_net(), []
    real = net.loss_and_gradients

    def recording(X_batch, Y_batch, *args, **kwargs):
        seen.append([int(np.flatnonzero((X == row).all(axis=1))[0]) for row in X_batch])
        return real(X_batch, Y_batch, *args, **kwargs)

    monkeypatch.setattr(net, "loss_and_gradients", recording)
    train(net, X, y, optimizer=SGD(0.1), epochs=2, batch_size=7, seed=4, evaluate_train=False, progress=False)
    rng = np.random.default_rng(4)
    expected = [list(b) for _ in range(2) for b in shuffled_batches(len(X), 7, rng)]
    assert seen == expected


@pytest.mark.parametrize("args, message", [((0, 4), "n must be a positive whole number"),
                                           ((10, 2.5), "batch_size must be a positive whole number"),
                                           ((10, True), "batch_size must be a positive whole number")])
def test_shuffled_batches_explains_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        shuffled_batches(*args, np.random.default_rng(0))
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        shuffled_batches(10, 2, 0)


def test_full_batch_epoch_is_one_gradient_step():
    X, y = blobs()
    net, manual = small_net(), small_net()
    _, grads = manual.loss_and_gradients(X, np.eye(3)[y])
    for param, grad in zip(manual.parameters(), grads):
        param -= 0.3 * grad
    train(net, X, y, optimizer=SGD(0.3), epochs=1, batch_size=len(X))
    for trained, expected in zip(net.parameters(), manual.parameters()):
        np.testing.assert_allclose(trained, expected, rtol=1e-14, atol=1e-15)


def test_history_contents():
    X, y = blobs()
    X_val, y_val = blobs(30, seed=1)
    X_test, y_test = blobs(40, seed=2)
    net = small_net()
    history = train(net, X, y, optimizer=SGD(0.1), epochs=3, batch_size=10,
                    validation_data=(X_val, y_val), test_data=(X_test, y_test))
    assert history.epochs == 3
    for series in (history.loss, history.train_accuracy, history.val_accuracy, history.test_accuracy,
                   history.lr, history.epoch_time):
        assert len(series) == 3
    assert history.lr == [0.1, 0.1, 0.1] and all(t > 0 for t in history.epoch_time)
    assert history.test_accuracy[-1] == np.mean(net.predict(X_test) == y_test)
    assert history.val_accuracy[-1] == np.mean(net.predict(X_val) == y_val)
    assert history.loss[0] > history.loss[-1] > 0
    assert history.best_epoch == int(np.argmax(history.val_accuracy)) and not history.stopped_early


def test_history_without_evaluation_data():
    X, y = blobs()
    history = train(small_net(), X, y, epochs=2, evaluate_train=False)
    assert history.train_accuracy == history.val_accuracy == history.test_accuracy == []
    assert history.best_epoch is None and len(history.loss) == 2


def test_verbose_prints_nielsens_epoch_lines(capsys):
    X, y = blobs()
    X_test, y_test = blobs(37, seed=3)
    net = small_net()
    train(net, X, y, optimizer=SGD(0.1), epochs=3, batch_size=10, test_data=(X_test, y_test), verbose=True,
          progress=False)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert all(re.fullmatch(rf"Epoch {e}: \d+ / 37", line) for e, line in enumerate(lines, start=1))
    assert lines[-1] == f"Epoch 3: {int(np.sum(net.predict(X_test) == y_test))} / 37"


def test_verbose_without_evaluation_data_prints_the_loss(capsys):
    X, y = blobs()
    history = train(small_net(), X, y, epochs=1, verbose=True, progress=False)
    assert capsys.readouterr().out == f"Epoch 1: loss {history.loss[0]:.4f}\n"


def test_progress_true_shows_a_tqdm_bar_per_epoch_with_rate_and_final_loss(capsys):
    X, y = blobs()  # 60 examples: 3 batches of 20
    history = train(small_net(), X, y, epochs=2, batch_size=20, progress=True)
    err = capsys.readouterr().err
    for epoch in range(2):
        final = rf"\repoch {epoch + 1}: 100%\|[^|]+\| 3/3 \[\d\d:\d\d<00:00, +[\d.]+k?batch/s, loss={history.loss[epoch]:.4g}\]\n"
        assert re.search(final, err), err


def test_progress_false_shows_nothing(capsys):
    X, y = blobs()
    train(small_net(), X, y, epochs=2, batch_size=20, progress=False)
    assert capsys.readouterr().err == ""


def test_progress_default_shows_a_bar_in_a_terminal_and_none_in_a_file_or_pipe(capsys, monkeypatch):
    X, y = blobs()
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)  # not in a Jupyter kernel
    train(small_net(), X, y, epochs=1, batch_size=20)
    assert capsys.readouterr().err == ""  # pytest's capture is not a terminal
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    train(small_net(), X, y, epochs=1, batch_size=20)
    assert "epoch 1: 100%" in capsys.readouterr().err


def test_progress_default_shows_a_bar_in_a_jupyter_kernel(capsys, monkeypatch):
    X, y = blobs()
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    train(small_net(), X, y, epochs=1, batch_size=20)
    assert "epoch 1: 100%" in capsys.readouterr().err  # tqdm.auto was chosen outside Jupyter: its text bar


def test_progress_bar_stops_where_training_diverged_and_is_closed(capsys):
    X, y = blobs()
    net = Network([2, 8, 3], activation="relu", loss="quadratic", output="identity", init="he")
    with pytest.raises(TrainingDiverged, match=r"at epoch 1, batch (\d+)") as info:
        train(net, X * 100, y, optimizer=SGD(1e8), epochs=5, batch_size=10, progress=True)
    batch = int(re.search(r"batch (\d+)", str(info.value)).group(1))
    err = capsys.readouterr().err
    assert batch <= 6 and re.search(rf"\repoch 1: +\d+%\|[^|]+\| {batch - 1}/6 \[[^\]]*loss=[^\]]+\]\n$", err), err


def test_progress_bar_changes_no_result():
    X, y = blobs()
    quiet, shown = small_net(), small_net()
    history_quiet = train(quiet, X, y, epochs=2, batch_size=7, progress=False)
    history_shown = train(shown, X, y, epochs=2, batch_size=7, progress=True)
    assert history_quiet.loss == history_shown.loss
    assert all(np.array_equal(a, b) for a, b in zip(quiet.parameters(), shown.parameters()))


def test_divergence_names_epoch_and_batch_and_suggests_a_smaller_rate():
    X, y = blobs()
    net = Network([2, 8, 3], activation="relu", loss="quadratic", output="identity", init="he")
    with pytest.raises(TrainingDiverged, match=r"the loss (became (nan|inf)|grew to \S+, from \S+ at the first batch) "
                                               r"at epoch 1, batch [1-6] of 6 "
                                               r"\(learning rate 1e\+08\).*Try a smaller learning rate, e\.g\. 1e\+07"):
        train(net, X * 100, y, optimizer=SGD(1e8), epochs=5, batch_size=10)
    with pytest.raises(TrainingDiverged, match=r"at epoch 1, batch 1 "):   # counted from 1, as readers count
        train(Network([2, 8, 3], activation="relu", loss="quadratic", output="identity", init="he"),
              X * 1e200, y, optimizer=SGD(1e8), epochs=1, batch_size=10)
    assert issubclass(TrainingDiverged, FloatingPointError)


class OverflowingLastStep(SGD):
    """SGD whose last step of the epoch overflows a weight, after the last loss was still finite."""

    def __init__(self, steps_per_epoch):
        super().__init__(lr=0.1)
        self.steps, self.steps_per_epoch = 0, steps_per_epoch

    def step(self, params, grads):
        super().step(params, grads)
        self.steps += 1
        if self.steps == self.steps_per_epoch:
            params[0][0, 0] = np.inf


def test_weights_that_overflow_in_the_last_step_are_reported_not_returned():
    X, y = blobs()
    net = Network([2, 8, 3], activation="relu", init="he")
    with pytest.raises(TrainingDiverged, match=r"the weights became nan or infinite in the last step of epoch 1 "
                                               r"\(learning rate 0\.1\)\. Try a smaller learning rate, e\.g\. 0\.01"):
        train(net, X, y, optimizer=OverflowingLastStep(steps_per_epoch=6), epochs=3, batch_size=10)


@pytest.mark.parametrize("X, y, message", [
    (np.zeros((5, 3)), np.zeros(5, dtype=int), "X has 3 features per row but the first layer expects 2"),
    (np.zeros((5, 2)), np.array([0, 1, 2, 3, 0]), r"labels must lie in 0\.\.2 for a network with 3 outputs, "
                                                   r"found values from 0 to 3"),
    (np.zeros((5, 2)), np.array([0, 1, -1, 2, 0]), r"labels must lie in 0\.\.2"),
    (np.zeros((5, 2)), np.zeros(4, dtype=int), "X has 5 examples but y has 4 labels; they must match one to one"),
    (np.zeros((5, 2)), np.array([0.0, 1.5, 2, 0, 1]), "labels must be whole numbers 0..2"),
    (np.zeros((5, 2)), np.array(["a"] * 5), "y must be an array of integer labels or of target rows"),
    (np.zeros((5, 2)), np.zeros((5, 4)), r"y must be labels of shape \(5,\) or target rows of shape \(5, 3\)"),
    (np.zeros((5, 2)), np.full((5, 3), np.nan), "target rows y contain nan or infinite values")])
def test_bad_training_data_is_explained(X, y, message):
    with pytest.raises(ValueError, match=message):
        train(small_net(), X, y, epochs=1)


def test_whole_number_float_labels_and_float_target_rows_are_accepted():
    X, y = blobs()
    first, second, third = small_net(), small_net(), small_net()
    train(first, X, y, epochs=1)
    train(second, X, y.astype(float), epochs=1)
    train(third, X, np.eye(3)[y], epochs=1)
    np.testing.assert_array_equal(first.weights[0], second.weights[0])
    np.testing.assert_array_equal(first.weights[0], third.weights[0])


@pytest.mark.parametrize("kwargs, message", [
    (dict(epochs=0), "epochs must be a whole number >= 1"),
    (dict(batch_size=0), "batch_size must be a whole number >= 1"),
    (dict(batch_size=2.5), "batch_size must be a whole number >= 1"),
    (dict(patience=2), "early stopping \\(patience\\) watches the validation accuracy"),
    (dict(patience=0, validation_data=blobs(5)), "patience is the number of epochs without improvement"),
    (dict(validation_data=np.zeros(3)), "val data must be a pair \\(X, y\\)")])
def test_bad_training_arguments_are_explained(kwargs, message):
    X, y = blobs()
    with pytest.raises(ValueError, match=message):
        train(small_net(), X, y, **kwargs)


def test_float32_stays_float32_through_training():
    X, y = blobs()
    net = small_net(dtype=np.float32)
    train(net, X, y, optimizer=Adam(0.01), epochs=2, batch_size=8, validation_data=blobs(10, 1), patience=3)
    assert all(p.dtype == np.float32 for p in net.parameters())
    assert net.predict_proba(X).dtype == np.float32


# -- early stopping, with validation accuracy scripted epoch by epoch ---------------------------

class ScriptedOptimizer:
    """Sets the network so that at epoch e it predicts class 1 exactly for x0 > thresholds[e].
    With validation x0 = 1, 2, 3, 4 (all class 1), threshold t gives accuracy (number of x0 > t) / 4."""

    def __init__(self, thresholds):
        self.lr, self.thresholds, self.epoch = 1.0, thresholds, 0

    def step(self, params, grads):
        W, b = params
        W[...] = [[0.0, 1.0], [0.0, 0.0]]
        b[...] = [0.0, -self.thresholds[self.epoch]]
        self.epoch += 1


def scripted_run(thresholds, patience):
    X_val = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 0.0]])
    y_val = np.ones(4, dtype=int)
    net = Network([2, 2], loss="cross_entropy")
    history = train(net, X_val, y_val, optimizer=ScriptedOptimizer(thresholds), epochs=len(thresholds),
                    batch_size=4, validation_data=(X_val, y_val), patience=patience)
    return net, history


def test_early_stopping_stops_after_patience_epochs_and_restores_the_best_weights():
    #            epoch:   0    1     2    3    4    5
    #   val accuracy:   2/4  3/4  3/4  1/4  4/4  4/4   (the tie at epoch 2 is no improvement)
    net, history = scripted_run([2.5, 1.5, 1.5, 3.5, 0.5, 0.5], patience=2)
    assert history.val_accuracy == [0.5, 0.75, 0.75, 0.25]
    assert history.stopped_early and history.epochs == 4 and history.best_epoch == 1
    np.testing.assert_array_equal(net.biases[0], [0.0, -1.5])          # the weights of epoch 1


def test_patience_one_stops_at_the_first_epoch_without_improvement():
    net, history = scripted_run([2.5, 1.5, 2.5, 0.5], patience=1)
    assert history.val_accuracy == [0.5, 0.75, 0.5] and history.stopped_early and history.best_epoch == 1
    np.testing.assert_array_equal(net.biases[0], [0.0, -1.5])


def test_no_early_stop_when_accuracy_keeps_improving_and_the_best_weights_are_kept():
    net, history = scripted_run([3.5, 2.5, 2.5, 2.5, 1.5], patience=3)
    assert history.val_accuracy == [0.25, 0.5, 0.5, 0.5, 0.75]
    assert not history.stopped_early and history.epochs == 5 and history.best_epoch == 4
    np.testing.assert_array_equal(net.biases[0], [0.0, -1.5])


def test_a_late_best_epoch_is_restored_when_training_ends_without_stopping():
    net, history = scripted_run([1.5, 0.5, 2.5], patience=5)
    assert history.val_accuracy == [0.75, 1.0, 0.5] and history.best_epoch == 1 and not history.stopped_early
    np.testing.assert_array_equal(net.biases[0], [0.0, -0.5])
