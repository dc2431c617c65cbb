"""The training loop: mini-batch gradient descent with any optimizer, and its bookkeeping.

batch_size=1 is per-example SGD, batch_size=k mini-batch SGD, batch_size=len(X) full-batch gradient descent.
"""
import math
import time
from dataclasses import dataclass, field

import numpy as np

from .data import to_one_hot
from .metrics import accuracy
from .optimizers import SGD, check_lr
from .progress import ProgressBar, wants_progress


class TrainingDiverged(FloatingPointError):
    """The loss became nan or infinite: the learning rate is almost always too large."""


@dataclass
class History:
    """Per-epoch records of one training run. Accuracies are fractions in [0, 1]; lists are empty for
    data that was not given (or train_accuracy when evaluate_train=False)."""

    loss: list = field(default_factory=list)             # mean training loss over the epoch's batches
    train_accuracy: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    epoch_time: list = field(default_factory=list)       # seconds of training per epoch, evaluation excluded
    best_epoch: int | None = None                        # epoch of the best validation accuracy (first if tied)
    stopped_early: bool = False

    @property
    def epochs(self):
        """Number of epochs actually run (fewer than asked for if training stopped early)."""
        return len(self.loss)


def check_labels(X, y, n_classes, dtype):
    """Targets as an (m, n_classes) float matrix: integer labels become one-hot rows, target rows pass as they are.

    Raises ValueError in plain words for a length mismatch, labels outside 0..n_classes-1, or target rows
    that are not finite numbers."""
    y = np.asarray(y)
    if y.ndim == 0 or not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
        raise ValueError(f"y must be an array of integer labels or of target rows, got {y.dtype} "
                         f"with shape {y.shape}")
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} examples but y has {len(y)} labels; they must match one to one")
    if y.ndim == 1:
        if not np.issubdtype(y.dtype, np.integer):
            if not np.all(np.mod(y, 1) == 0):
                raise ValueError(f"labels must be whole numbers 0..{n_classes - 1}, got dtype {y.dtype} "
                                 f"with fractional values")
            y = y.astype(np.int64)
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(f"labels must lie in 0..{n_classes - 1} for a network with {n_classes} outputs, "
                             f"found values from {y.min()} to {y.max()}")
        return to_one_hot(y, n_classes, dtype)
    if y.ndim == 2 and y.shape[1] == n_classes:
        if not np.isfinite(y).all():
            raise ValueError("target rows y contain nan or infinite values")
        return y.astype(dtype, copy=False)
    raise ValueError(f"y must be labels of shape ({len(X)},) or target rows of shape ({len(X)}, {n_classes}), "
                     f"got shape {y.shape}")


def train(net, X, y, *, optimizer=None, epochs=10, batch_size=32, seed=0, validation_data=None,
          test_data=None, schedule=None, patience=None, verbose=False, progress=None, evaluate_train=True,
          augment=None):
    """Train net on (X, y) and return a History.

    X: (m, n_in); y: labels (m,) or target rows (m, n_out). optimizer: defaults to SGD(lr=0.1).
    Each epoch shuffles the examples with a generator seeded by `seed`, then takes one optimizer step
    per batch of batch_size rows. validation_data / test_data: (X, y) pairs evaluated after every epoch.
    schedule: function epoch -> learning rate. patience: stop after that many epochs without a better
    validation accuracy in a row (patience >= 1; 1 stops at the first epoch that does not improve) and
    restore the weights of the best epoch. verbose: print `Epoch 3: 9516 / 10000` (test data,
    else validation data). progress: a per-epoch progress bar; None shows it only in a terminal.
    augment: a function (X_batch, rng) -> new X_batch of the same shape, e.g. nnlib.augment.Augmentation(),
    applied to every training batch with a generator of its own seeded from `seed` (so the shuffling is
    the same with and without it); accuracies are measured on the unchanged images.
    Raises TrainingDiverged, naming the epoch and batch, if the loss becomes nan or infinite.
    """
    X = net.check_input(X)
    Y = check_labels(X, y, net.sizes[-1], net.dtype)
    evaluations = {name: _evaluation_set(net, data, name)
                   for name, data in (("val", validation_data), ("test", test_data)) if data is not None}
    optimizer = optimizer or SGD(lr=0.1)
    _check_schedule_arguments(epochs, batch_size, patience, validation_data)
    rng = np.random.default_rng(seed)
    augmentation = _Augmenter(augment, seed) if augment is not None else None
    history, best = History(), None
    for epoch in range(epochs):
        if schedule is not None:
            optimizer.lr = check_lr(schedule(epoch))
        started = time.perf_counter()
        history.loss.append(_run_epoch(net, X, Y, optimizer, batch_size, rng, epoch, progress,
                                              augmentation))
        history.epoch_time.append(time.perf_counter() - started)
        history.lr.append(optimizer.lr)
        if evaluate_train:
            history.train_accuracy.append(accuracy(Y, net.predict(X)))
        for name, (X_eval, labels) in evaluations.items():
            getattr(history, f"{name}_accuracy").append(accuracy(labels, net.predict(X_eval)))
        if verbose:
            _print_epoch(epoch, history, evaluations)
        if "val" in evaluations:
            if history.best_epoch is None or history.val_accuracy[-1] > history.val_accuracy[history.best_epoch]:
                history.best_epoch = epoch
                if patience is not None:
                    best = [p.copy() for p in net.parameters()]
            elif patience is not None and epoch - history.best_epoch >= patience:
                history.stopped_early = True
                break
    if best is not None:
        for param, saved in zip(net.parameters(), best):
            param[...] = saved
    return history


def _run_epoch(net, X, Y, optimizer, batch_size, rng, epoch, progress, augmentation=None):
    """One pass over the shuffled data (each batch augmented if asked); returns the mean batch loss."""
    n = len(X)
    full_batch = batch_size >= n
    order = None if full_batch else rng.permutation(n)
    starts = range(0, n, batch_size)
    bar = ProgressBar(len(starts), f"epoch {epoch}") if wants_progress(progress) else None
    params, total = net.parameters(), 0.0
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is caught just below, with advice
        for batch, start in enumerate(starts):
            if full_batch:
                X_batch, Y_batch = X, Y  # no copy of the whole set per step
            else:
                index = order[start:start + batch_size]
                X_batch, Y_batch = X[index], Y[index]
            if augmentation is not None:
                X_batch = augmentation(X_batch)
            loss, grads = net.loss_and_gradients(X_batch, Y_batch)
            if not math.isfinite(loss):
                raise TrainingDiverged(
                    f"the loss became {loss} at epoch {epoch}, batch {batch} (learning rate {optimizer.lr:g}): "
                    f"the steps overshoot and the weights blow up. Try a smaller learning rate, "
                    f"e.g. {optimizer.lr / 10:g}.")
            optimizer.step(params, grads)
            total += loss * len(X_batch)
            if bar:
                bar.update()
    if not all(np.isfinite(p).all() for p in params):  # a last step can overflow after the last loss was fine
        raise TrainingDiverged(
            f"the weights became nan or infinite in the last step of epoch {epoch} (learning rate "
            f"{optimizer.lr:g}). Try a smaller learning rate, e.g. {optimizer.lr / 10:g}.")
    if bar:
        bar.close(f"loss {total / n:.4f}")
    return total / n


class _Augmenter:
    """Calls augment(X_batch, rng) with its own generator and checks that it returned a usable batch."""

    def __init__(self, augment, seed):
        if not callable(augment):
            raise ValueError(f"augment must be a function (X_batch, rng) -> X_batch, e.g. "
                             f"nnlib.augment.Augmentation(), got {type(augment).__name__}")
        self.augment = augment
        self.rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])

    def __call__(self, X_batch):
        augmented = self.augment(X_batch, self.rng)
        if not isinstance(augmented, np.ndarray) or augmented.shape != X_batch.shape:
            raise ValueError(f"augment must return an array of the batch's shape {X_batch.shape}, "
                             f"got {getattr(augmented, 'shape', type(augmented).__name__)}")
        return augmented.astype(X_batch.dtype, copy=False)


def _evaluation_set(net, data, name):
    try:
        X_eval, y_eval = data
    except (TypeError, ValueError):
        raise ValueError(f"{name} data must be a pair (X, y)") from None
    X_eval = net.check_input(X_eval)
    return X_eval, check_labels(X_eval, y_eval, net.sizes[-1], net.dtype).argmax(axis=1)


def _check_schedule_arguments(epochs, batch_size, patience, validation_data):
    if not (isinstance(epochs, (int, np.integer)) and epochs >= 1):
        raise ValueError(f"epochs must be a whole number >= 1, got {epochs!r}")
    if not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    if patience is not None and not (isinstance(patience, (int, np.integer)) and patience >= 1):
        raise ValueError(f"patience is the number of epochs without improvement before stopping and must be "
                         f"a whole number >= 1, got {patience!r}")
    if patience is not None and validation_data is None:
        raise ValueError("early stopping (patience) watches the validation accuracy: pass validation_data too")


def _print_epoch(epoch, history, evaluations):
    name = "test" if "test" in evaluations else "val" if "val" in evaluations else None
    if name is None:
        print(f"Epoch {epoch}: loss {history.loss[-1]:.4f}", flush=True)
        return
    n = len(evaluations[name][0])
    correct = round(getattr(history, f"{name}_accuracy")[-1] * n)
    print(f"Epoch {epoch}: {correct} / {n}", flush=True)
