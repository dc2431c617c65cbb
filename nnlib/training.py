"""The training loop: mini-batch gradient descent with any optimizer, and its bookkeeping.

batch_size=1 is per-example SGD, batch_size=k mini-batch SGD, batch_size=len(X) full-batch gradient descent.
"""
import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from .data import to_one_hot
from .metrics import accuracy
from .optimizers import OPTIMIZERS, SGD, check_lr, make_optimizer


class TrainingDiverged(FloatingPointError):
    """The loss became nan or infinite, or grew a millionfold: the learning rate is almost always too large."""


DIVERGENCE_FACTOR = 1e6  # a loss this many times the first batch's (at least 1e-3) counts as diverged


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
    # Index into the lists above of the epoch with the best validation accuracy (first if tied). The lists
    # are Python lists indexed from 0, while printed lines and plots count epochs from 1: best_epoch = 2
    # is the third epoch, printed as "Epoch 3".
    best_epoch: int | None = None
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

    X: (m, n_in); y: labels (m,) or target rows (m, n_out). optimizer: an optimizer object, or a name
    ("sgd", "momentum", "nesterov", "rmsprop", "adam") for one with its default hyperparameters; SGD(lr=0.1)
    if not given.
    Each epoch shuffles the examples with a generator seeded by `seed`, then takes one optimizer step
    per batch of batch_size rows. validation_data / test_data: (X, y) pairs evaluated after every epoch.
    schedule: function epoch -> learning rate. patience: stop after that many epochs without a better
    validation accuracy in a row (patience >= 1; 1 stops at the first epoch that does not improve) and
    restore the weights of the best epoch. verbose: print `Epoch 3: 9516 / 10000` after each epoch,
    counting epochs from 1 (test data, else validation data). progress: a progress bar per epoch (tqdm: a
    widget in Jupyter, a text line on stderr elsewhere) with batches done, rate, time left and the running
    mean loss; True always, False never, and None (the default) in a Jupyter kernel or when stderr is a
    terminal, not when stderr goes to a file or pipe.
    augment: a function (X_batch, rng) -> new X_batch of the same shape, e.g. nnlib.augment.Augmentation(),
    applied to every training batch with a generator of its own seeded from `seed` (so the shuffling is
    the same with and without it); accuracies are measured on the unchanged images.
    Raises TrainingDiverged, naming the epoch and batch, if the loss becomes nan or infinite, or more than
    DIVERGENCE_FACTOR times the first batch's loss.
    A batch-normalized net needs batches of at least 2 rows: batch_size=1 is refused, and when
    len(X) % batch_size == 1 the one row left over joins the epoch's previous batch.
    """
    X = net.check_input(X)
    if len(X) == 0:
        raise ValueError(f"X has no examples (shape {X.shape}); training needs at least one row")
    Y = check_labels(X, y, net.sizes[-1], net.dtype)
    evaluations = {name: _evaluation_set(net, data, name)
                   for name, data in (("val", validation_data), ("test", test_data)) if data is not None}
    optimizer = _check_optimizer(optimizer)
    _check_schedule_arguments(epochs, batch_size, patience, validation_data)
    _check_batch_norm_batches(net, len(X), batch_size)
    rng = np.random.default_rng(seed)
    augmentation = _Augmenter(augment, seed) if augment is not None else None
    history, best = History(), None
    watch = _DivergenceWatch()
    for epoch in range(epochs):
        if schedule is not None:
            optimizer.lr = check_lr(schedule(epoch))
        started = time.perf_counter()
        history.loss.append(_run_epoch(net, X, Y, optimizer, batch_size, rng, epoch, progress, watch,
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
                    best = [p.copy() for p in _restorable(net)]
            elif patience is not None and epoch - history.best_epoch >= patience:
                history.stopped_early = True
                break
    if best is not None:
        for param, saved in zip(_restorable(net), best):
            param[...] = saved
    return history


def shuffled_batches(n, batch_size, rng):
    """The batches of one epoch over n examples, as index arrays: order = rng.permutation(n), cut into
    consecutive slices of batch_size, so every index 0..n-1 appears exactly once and every batch holds
    batch_size indices except the last, which holds n % batch_size when batch_size does not divide n.

    n, batch_size: positive ints; rng: a numpy.random.Generator (the same seed gives the same batches).
    Returns a list of ceil(n / batch_size) int arrays. train() visits its batches in this order when
    batch_size < n (a batch-normalized net's last batch of one row joins the batch before it).
    """
    for name, value in (("n", n), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, e.g. np.random.default_rng(0), got {type(rng).__name__}")
    order = rng.permutation(n)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


def _run_epoch(net, X, Y, optimizer, batch_size, rng, epoch, progress, watch, augmentation=None):
    """One pass over the shuffled data (each batch augmented if asked); returns the mean batch loss."""
    n = len(X)
    full_batch = batch_size >= n
    order = None if full_batch else rng.permutation(n)
    bounds = _batch_bounds(n, batch_size, net.batch_norm)
    bar = _epoch_bar(len(bounds), epoch) if _shows_progress(progress) else None
    params, total, seen = net.parameters(), 0.0, 0
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is caught just below, with advice
            for batch, (start, stop) in enumerate(bounds):
                if full_batch:
                    X_batch, Y_batch = X, Y  # no copy of the whole set per step
                else:
                    index = order[start:stop]
                    X_batch, Y_batch = X[index], Y[index]
                if augmentation is not None:
                    X_batch = augmentation(X_batch)
                loss, grads = net.loss_and_gradients(X_batch, Y_batch)
                watch.check(loss, epoch, batch, len(bounds), optimizer.lr)
                optimizer.step(params, grads)
                total, seen = total + loss * len(X_batch), seen + len(X_batch)
                if bar and bar.update():  # True when tqdm redraws (at most every 0.1 s): show the loss so far
                    bar.set_postfix(loss=f"{total / seen:.4g}", refresh=False)
    finally:  # also when training diverges or is interrupted: the bar stops where training stopped
        if bar:
            _close_bar(bar, f"{total / seen:.4g}" if seen else "none yet")
    if not all(np.isfinite(p).all() for p in params):  # a last step can overflow after the last loss was fine
        raise TrainingDiverged(
            f"the weights became nan or infinite in the last step of epoch {epoch + 1} (learning rate "
            f"{optimizer.lr:g}). Try a smaller learning rate, e.g. {optimizer.lr / 10:g}.")
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


def _shows_progress(progress):
    """progress=None: a bar in a Jupyter kernel or a terminal, none when stderr is a file or a pipe."""
    if progress is not None:
        return bool(progress)
    return "ipykernel" in sys.modules or (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())


def _epoch_bar(batches, epoch):
    """A tqdm bar over one epoch's batches: a widget in Jupyter, text on stderr in a terminal."""
    from tqdm.auto import tqdm  # imported on first use: most scripts and tests train without a bar

    options = dict(total=batches, desc=f"epoch {epoch + 1}", unit="batch", leave=True)
    notebook = sys.modules.get("tqdm.notebook")  # imported by tqdm.auto when it picked the widget
    if notebook is None or not issubclass(tqdm, notebook.tqdm):
        return tqdm(**options)
    # In Jupyter the widget's text form (what GitHub and a saved notebook show) is fixed when it is displayed,
    # i.e. at 0 %. Display it ourselves with a display id, so closing the bar can store its final state.
    from IPython.display import display

    bar = tqdm(display=False, **options)
    bar.final_display = display(bar.container, display_id=True)
    return bar


def _close_bar(bar, loss):
    """Show the epoch's mean loss and end the bar (in Jupyter, store its final state as the widget's text)."""
    bar.set_postfix(loss=loss, refresh=False)
    bar.close()
    if getattr(bar, "final_display", None) is not None:
        bar.final_display.update(bar.container)


class _DivergenceWatch:
    """Remembers the first batch's loss and raises TrainingDiverged when a loss is not finite, or has grown
    more than DIVERGENCE_FACTOR-fold from it (a finite loss of 1e9 is divergence too, just not overflow yet)."""

    def __init__(self):
        self.first = None

    def check(self, loss, epoch, batch, batches, lr):
        """epoch and batch count from 0 here; the message counts them from 1, like every printed epoch."""
        if math.isfinite(loss) and self.first is None:
            self.first = loss
        if not math.isfinite(loss):
            what = f"the loss became {loss}"
        elif loss > DIVERGENCE_FACTOR * max(self.first, 1e-3):
            what = f"the loss grew to {loss:.3g}, from {self.first:.3g} at the first batch"
        else:
            return
        raise TrainingDiverged(
            f"{what} at epoch {epoch + 1}, batch {batch + 1} of {batches} (learning rate {lr:g}): the steps "
            f"overshoot and the weights blow up. Try a smaller learning rate, e.g. {lr / 10:g}.")


def _check_optimizer(optimizer):
    """An optimizer object from what train() was given: None -> SGD(lr=0.1), a name -> that optimizer with
    its defaults; anything without step(params, grads) and lr is a ValueError saying what to pass."""
    if optimizer is None:
        return SGD(lr=0.1)
    if isinstance(optimizer, str):
        return make_optimizer(optimizer)  # a ValueError listing the names for an unknown one
    if isinstance(optimizer, type):
        raise ValueError(f"optimizer must be an optimizer object, got the class {optimizer.__name__}; "
                         f"create one, e.g. optimizer={optimizer.__name__}(lr=...)")
    if not (callable(getattr(optimizer, "step", None)) and hasattr(optimizer, "lr")):
        raise ValueError(f"optimizer must be an optimizer object such as nnlib.SGD(lr=0.1) or a name "
                         f"({', '.join(OPTIMIZERS)}), got {optimizer!r}")
    return optimizer


def _evaluation_set(net, data, name):
    try:
        X_eval, y_eval = data
    except (TypeError, ValueError):
        raise ValueError(f"{name} data must be a pair (X, y)") from None
    X_eval = net.check_input(X_eval)
    if len(X_eval) == 0:
        raise ValueError(f"{name} data has no examples; pass at least one row, or leave it out")
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
    """Nielsen's line `Epoch 3: 9516 / 10000` for the 0-based loop index epoch, printed as epoch + 1."""
    number = epoch + 1
    name = "test" if "test" in evaluations else "val" if "val" in evaluations else None
    if name is None:
        print(f"Epoch {number}: loss {history.loss[-1]:.4f}", flush=True)
        return
    n = len(evaluations[name][0])
    correct = round(getattr(history, f"{name}_accuracy")[-1] * n)
    print(f"Epoch {number}: {correct} / {n}", flush=True)


# -- batch normalization (chapter 10) ----------------------------------------------------------------------

def _batch_bounds(n, batch_size, batch_norm):
    """(start, stop) of each batch of an epoch over n rows. With batch norm a last batch of a single row
    (n % batch_size == 1) would be refused, so that row joins the previous batch (batch_size + 1 rows)."""
    bounds = [(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]
    if batch_norm and len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


def _check_batch_norm_batches(net, n, batch_size):
    if net.batch_norm and min(batch_size, n) < 2:
        what = f"batch_size={batch_size}" if batch_size < 2 else f"a training set of {n} example"
        raise ValueError(f"batch normalization normalizes each unit over the examples of a batch, so it needs "
                         f"batches of at least 2 rows, but {what} gives batches of 1: use batch_size >= 2, "
                         f"or a Network without batch_norm")


def _restorable(net):
    """The arrays early stopping saves and restores: the parameters and any batch-norm running averages."""
    return net.parameters() + net.running_averages()
