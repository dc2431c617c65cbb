"""Watching training from the inside: per-layer statistics, update-to-weight ratios, and a learning-rate
range test. Each plot function returns a matplotlib Figure (see nnlib.plots).

Shapes as everywhere in nnlib: X is (m, n_0), one example per row; hidden layer l has n_l units.
"""
from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .analysis import hidden_activations
from .training import check_labels

# An entry counts as saturated where the activation's slope has fallen below about 1 % of its maximum.
SATURATION = {"sigmoid": lambda A: (A < 0.01) | (A > 0.99), "tanh": lambda A: np.abs(A) > 0.99}


@dataclass
class LayerStatistics:
    """What one hidden layer l did on a batch: its activations A (m, n_l), the weight gradient dW
    (n_{l-1}, n_l) when targets were given, the fraction of entries of A in a saturated region of a
    sigmoid or tanh, and the fraction of units that are zero for every example (dead ReLUs)."""

    layer: int
    activations: np.ndarray
    weight_gradient: np.ndarray | None
    saturated: float
    dead: float


def layer_statistics(net, X, y=None):
    """LayerStatistics for every hidden layer of net on X (evaluation mode), hidden layers numbered 1..L-1.

    saturated = fraction of entries of A^(l) with sigma(z) < 0.01 or > 0.99 (sigmoid), |tanh(z)| > 0.99 (tanh),
    0 for other activations; dead = fraction of units whose activation is 0 for all m examples.
    y: labels (m,) or one-hot rows (m, n_L); with it each layer also gets its weight gradient dC/dW^(l)."""
    X = net.check_input(X)
    activations = hidden_activations(net, X)
    gradients = [None] * net.n_layers
    if y is not None:
        _, grads = net.loss_and_gradients(X, check_labels(X, y, net.sizes[-1], net.dtype), training=False)
        gradients = grads[::2]
    saturated = SATURATION.get(net.activation)
    return [LayerStatistics(l + 1, A, gradients[l], float(saturated(A).mean()) if saturated else 0.0,
                            float(np.all(A == 0, axis=0).mean()))
            for l, A in enumerate(activations)]


def plot_activation_histograms(statistics, title="Hidden activations", color="tab:blue"):
    """One histogram per hidden layer of its activations, titled with the saturated and dead fractions.
    statistics: the list layer_statistics returns. Each panel has its own scales."""
    return _plot_layer_histograms(
        statistics, [layer.activations for layer in statistics],
        panel_titles=[f"saturated {layer.saturated:.0%}, dead {layer.dead:.0%}" for layer in statistics],
        xlabels=["activation"] * len(statistics), title=title, color=color)


def plot_gradient_histograms(statistics, title="Weight gradients", color="tab:orange"):
    """One histogram per layer of its weight gradient dC/dW^(l), with the gradients' standard deviation in
    the title: layers whose spread is orders of magnitude smaller learn that much more slowly. Each panel has
    its own scales, so that a layer with tiny gradients still shows its histogram (read the spread off the
    titles and the x-axes)."""
    layers = [layer for layer in statistics if layer.weight_gradient is not None]
    if not layers:
        raise ValueError("these statistics carry no gradients: call layer_statistics(net, X, y) with the targets y")
    return _plot_layer_histograms(
        layers, [layer.weight_gradient for layer in layers],
        panel_titles=[f"std {layer.weight_gradient.std():.1e}" for layer in layers],
        xlabels=[rf"$\partial C/\partial W^{{({layer.layer})}}$" for layer in layers], title=title, color=color,
        centred=True)


def _plot_layer_histograms(layers, values, panel_titles, xlabels, title, color, centred=False):
    """One panel per layer, left to right: a 40-bin histogram of values[i] (any shape), titled "layer l" and
    panel_titles[i]. Every panel has its own x and count scales; the x ticks are written out in full (e.g.
    2.5e-05), so that no offset exponent sits under the wrong panel; centred=True puts a few ticks
    symmetrically around 0 (for gradients)."""
    fig = Figure(figsize=(2.6 * len(layers), 2.6), layout="constrained")
    axes = fig.subplots(1, len(layers), squeeze=False)[0]
    for ax, layer, layer_values, panel_title, xlabel in zip(axes, layers, values, panel_titles, xlabels):
        ax.hist(np.ravel(layer_values), bins=40, color=color)
        ax.set_title(f"layer {layer.layer}\n{panel_title}", fontsize=9)
        ax.set_xlabel(xlabel)
        if centred:
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4, symmetric=True))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.2g}"))
        ax.tick_params(labelsize=8)
    axes[0].set_ylabel("count")
    fig.suptitle(title)
    return fig


class UpdateRatioRecorder:
    """An optimizer wrapper that records, every `every` steps, the update-to-weight ratio of each weight matrix:

        ratio^(l) = ||W^(l) after the step - W^(l) before|| / ||W^(l) before||     (Frobenius norms)

    A rule of thumb (CS231n): around 1e-3 is healthy; much lower learns slowly, much higher is unstable.
    Use it in place of the optimizer: train(net, X, y, optimizer=UpdateRatioRecorder(Adam(1e-3))).
    ratios: one row per recorded step, one column per weight matrix (2-D parameter)."""

    def __init__(self, optimizer, every=1):
        if not (isinstance(every, (int, np.integer)) and every >= 1):
            raise ValueError(f"every must be a whole number >= 1, got {every!r}")
        self.optimizer, self.every, self.steps, self.rows = optimizer, int(every), 0, []

    @property
    def lr(self):
        """The wrapped optimizer's learning rate (read and set through the wrapper, as schedules do)."""
        return self.optimizer.lr

    @lr.setter
    def lr(self, value):  # schedules set the learning rate through the wrapper
        self.optimizer.lr = value

    @property
    def ratios(self):
        """(recorded steps, weight matrices) array of update-to-weight ratios."""
        return np.array(self.rows)

    def step(self, params, grads):
        """The wrapped optimizer's step, measuring the weights' change when this step is recorded."""
        record = self.steps % self.every == 0
        weights = [p for p in params if p.ndim == 2]
        before = [W.copy() for W in weights] if record else None
        self.optimizer.step(params, grads)
        if record:
            self.rows.append([np.linalg.norm(W - B) / max(np.linalg.norm(B), 1e-12) for W, B in zip(weights, before)])
        self.steps += 1


def plot_update_ratios(recorder, title="Update-to-weight ratio per layer", cmap="viridis"):
    """The recorded ratios over training, one line per weight matrix W^(1), W^(2), ..., on a log scale, with
    the 1e-3 guide. Colours follow the layer's depth along the colormap cmap (for a single-hue map such as
    "Blues", deeper layers are darker); the legend sits outside the axes, to the right."""
    ratios = recorder.ratios
    if ratios.size == 0:
        raise ValueError("nothing recorded yet: train with this recorder as the optimizer first")
    n_weights = ratios.shape[1]
    colors = colormaps[cmap](np.linspace(0.3, 1.0, n_weights))
    fig = Figure(figsize=(7, 3.5), layout="constrained")
    ax = fig.subplots()
    steps = np.arange(len(ratios)) * recorder.every
    for l in range(n_weights):
        ax.plot(steps, ratios[:, l], color=colors[l], label=rf"$W^{{({l + 1})}}$", linewidth=1.2)
    ax.axhline(1e-3, color="black", linestyle="--", linewidth=1, label=r"$10^{-3}$, rule of thumb")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("optimizer step")
    ax.set_ylabel(r"$\Vert\Delta W^{(l)}\Vert \,/\, \Vert W^{(l)}\Vert$")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


@dataclass
class LRRangeResult:
    """A learning-rate range test: the rate of each step (steps,), the training loss there (raw and
    smoothed), and the suggested rate: a tenth of the rate where the smoothed loss was lowest."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggested_lr: float


def lr_range_test(net, X, y, optimizer=None, lr_min=1e-6, lr_max=10.0, steps=100, batch_size=64, seed=0,
                  smoothing=0.9, stop_factor=4.0):
    """Smith's learning-rate range test (2017; fastai's lr_find): one mini-batch step per rate while the rate
    grows geometrically from lr_min to lr_max,  lr_i = lr_min * (lr_max / lr_min)^(i / (steps - 1)),
    recording each batch's loss, until the smoothed loss exceeds stop_factor times its minimum.

    net is left exactly as it was (its parameters are restored). optimizer: a function lr -> optimizer,
    e.g. nnlib.SGD or nnlib.Adam (default SGD). X: (m, n_0); y: labels (m,) or one-hot rows.
    smoothing: weight of the running average of the loss (bias-corrected like Adam's moments)."""
    from .optimizers import SGD
    if not (0 < lr_min < lr_max and np.isfinite(lr_max)):
        raise ValueError(f"need 0 < lr_min < lr_max (finite), got lr_min={lr_min}, lr_max={lr_max}")
    if not (isinstance(steps, (int, np.integer)) and steps >= 2):
        raise ValueError(f"steps must be a whole number >= 2, got {steps!r}")
    X = net.check_input(X)
    Y = check_labels(X, y, net.sizes[-1], net.dtype)
    rng = np.random.default_rng(seed)
    make = optimizer or SGD
    opt = make(lr_min)
    restorable = net.parameters() + net.running_averages()  # batch-norm averages change in training mode
    saved = [p.copy() for p in restorable]
    lrs = lr_min * (lr_max / lr_min) ** (np.arange(steps) / (steps - 1))
    losses, smoothed, average = [], [], 0.0
    order = rng.permutation(len(X))
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for i, lr in enumerate(lrs):
                start = (i * batch_size) % len(X)
                index = order[start:start + batch_size]
                if len(index) < 2 and net.batch_norm:  # a batch of one cannot be normalized: wrap around
                    index = order[:batch_size]
                loss, grads = net.loss_and_gradients(X[index], Y[index])
                if not np.isfinite(loss):
                    break
                average = smoothing * average + (1 - smoothing) * loss
                losses.append(loss)
                smoothed.append(average / (1 - smoothing ** (i + 1)))
                if smoothed[-1] > stop_factor * min(smoothed):
                    break
                opt.lr = lr
                opt.step(net.parameters(), grads)
    finally:
        for param, original in zip(restorable, saved):
            param[...] = original
    smoothed = np.array(smoothed)
    if len(smoothed) < 2:
        raise ValueError(f"the loss blew up at once (at lr {lrs[0]:g}): start the range lower (lr_min)")
    return LRRangeResult(lrs[:len(smoothed)], np.array(losses), smoothed,
                         float(lrs[int(np.argmin(smoothed))] / 10))


def plot_lr_range(result, title="Learning-rate range test"):
    """Smoothed loss against the learning rate (log scale), the raw losses faint, the suggestion marked; the
    legend sits outside the axes, to the right, where it covers no data."""
    fig = Figure(figsize=(7.5, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.plot(result.lrs, result.losses, color="tab:blue", alpha=0.25, linewidth=1, label="batch loss")
    ax.plot(result.lrs, result.smoothed, color="tab:blue", label="smoothed loss")
    ax.axvline(result.suggested_lr, color="tab:red", linestyle="--",
               label=f"suggested: {result.suggested_lr:.1e}\n(a tenth of the minimum's rate)")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("training loss")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig
