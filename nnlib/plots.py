"""Figures for the notebooks. Each function builds and returns a matplotlib Figure without touching
pyplot's global state: display it in Jupyter by leaving it as a cell's last value, or call fig.savefig."""
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, MaxNLocator


def show_digits(images, labels=None, predictions=None, ncols=10, size=1.0, row_labels=None):
    """Grid of digits. images: (n, 784) or (n, 28, 28); labels / predictions: (n,) shown as titles,
    wrong predictions in red; row_labels: optional text to the left of each row, e.g. "unit 8"."""
    images = np.asarray(images).reshape(len(images), 28, 28)
    nrows = max(1, -(-len(images) // ncols))
    fig = Figure(figsize=(ncols * size, nrows * size * 1.15), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= len(images):
            continue
        ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=images.max() or 1)
        ax.set_title(_digit_title(i, labels, predictions), fontsize=9,
                     color="red" if _is_wrong(i, labels, predictions) else "black")
    for row, text in enumerate(row_labels or []):
        axes[row, 0].text(-0.15, 0.5, text, transform=axes[row, 0].transAxes, ha="right", va="center", fontsize=9)
    return fig


def _digit_title(i, labels, predictions):
    parts = []
    if labels is not None:
        parts.append(f"{labels[i]}")
    if predictions is not None:
        parts.append(f"→{predictions[i]}")
    return " ".join(parts)


def _is_wrong(i, labels, predictions):
    return labels is not None and predictions is not None and labels[i] != predictions[i]


def plot_history(history, title="Training", metrics=("loss", "accuracy"), colors=None, ylims=None,
                 series_in_legend=True):
    """Loss and accuracy per epoch from a History (or a dict of name -> History to compare runs).

    Epochs are drawn as 1..E with whole-number ticks only (a History's lists are indexed from 0, the
    reader counts from 1). colors: optional dict run name -> matplotlib colour, so that one condition
    keeps one colour in every plot of a chapter; a single History takes the key "". Names may be mathtext
    (r"$\\eta = 3$").

    Each y-axis says what it shows: "training loss (mean over the epoch)", and "validation accuracy" (or
    train, or test) when only one kind of accuracy is drawn, in percent. ylims: optional dict metric ->
    (low, high) to zoom a panel on the differences that matter (e.g. {"accuracy": (0.6, 1.0)} when one
    run stuck at 10 % would squash the others at the top). Points outside the range are drawn just inside
    its edge as triangles pointing off the panel (▼ below, ▲ above), and the run's legend entry says so.
    series_in_legend=False labels each line with its run's name alone ("with batch norm", not "with batch
    norm validation"), for runs that draw one series per panel (e.g. trained with evaluate_train=False); the
    y axis names the series.
    """
    runs = history if isinstance(history, dict) else {"": history}
    colors = colors or {}
    ylims = ylims or {}
    fig = Figure(figsize=(5 * len(metrics), 3.5), layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics):
        limits = ylims.get(metric)
        kinds = set()
        for name, run in runs.items():
            series = [("loss", run.loss)] if metric == "loss" else [
                ("train", run.train_accuracy), ("validation", run.val_accuracy), ("test", run.test_accuracy)]
            drawn = [(label, values) for label, values in series if values]
            if not series_in_legend and len(drawn) > 1:
                raise ValueError(f"series_in_legend=False needs one series per run and panel, but run {name!r} "
                                 f"has {' and '.join(label for label, _ in drawn)} {metric}")
            for (label, values), style in zip(drawn, ("-", "--", ":")):
                kinds.add(label)
                epochs, values = np.arange(1, len(values) + 1), np.asarray(values, dtype=float)
                run_label = " ".join(filter(None, (name, label))) if series_in_legend else (name or label)
                text = run_label + _off_range_note(metric, values, limits)
                line, = ax.plot(epochs, values, marker=".", color=colors.get(name),
                                linestyle=style if name in colors else "-", label=text)
                if limits is not None:
                    _mark_off_range(ax, epochs, values, limits, line.get_color())
        if limits is not None:
            ax.set_ylim(*limits)
        _integer_ticks(ax.xaxis)
        ax.set_xlabel("epoch")
        if metric == "loss":
            ax.set_ylabel("training loss (mean over the epoch)")
        else:
            ax.set_ylabel(f"{next(iter(kinds))} {metric}" if len(kinds) == 1 else metric)
            if metric == "accuracy":
                ax.yaxis.set_major_formatter(PercentTicks())
        ax.set_title(f"{title}: {metric}")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[1]:
            ax.legend(fontsize=8)
    return fig


class PercentTicks(Formatter):
    """Tick labels for fractions as percentages, with as few decimals as the ticks need and the same number on
    every tick: 60%, 70%, ... or 94.2%, 94.4%, ... (never 95% next to 95.2%, nor 95.40%)."""

    ticks = ()

    def set_locs(self, locs):
        self.ticks = 100 * np.asarray(locs, dtype=float)

    def __call__(self, value, pos=None):
        decimals = next((d for d in range(4) if np.allclose(self.ticks, np.round(self.ticks, d), rtol=0, atol=1e-6)), 4)
        return f"{100 * value:.{decimals}f}%"


def _off_range_note(metric, values, limits):
    """The legend suffix ' (▼ below 60%)' of a run with points under the panel's range; '' when all are in it."""
    if limits is None:
        return ""
    shown = (lambda v: f"{v:.0%}") if metric == "accuracy" else (lambda v: f"{v:g}")
    notes = [f"▼ below {shown(limits[0])}" if np.any(values < limits[0]) else "",
             f"▲ above {shown(limits[1])}" if np.any(values > limits[1]) else ""]
    return f" ({', '.join(filter(None, notes))})" if any(notes) else ""


def _mark_off_range(ax, epochs, values, limits, color):
    """Triangles for the points outside limits, pointing off the panel, just inside its edge (not on it, so
    that the legend's placement sees them as data and does not cover them)."""
    low, high = limits
    inset = 0.03 * (high - low)
    for outside, y, marker in ((values < low, low + inset, "v"), (values > high, high - inset, "^")):
        if outside.any():
            ax.plot(epochs[outside], np.full(outside.sum(), y), linestyle="none", marker=marker, markersize=8,
                    color=color)


def network_layout(sizes, max_drawn=8):
    """Positions of the drawn units of a network schematic: a list over layers of (x, ys, shown), where
    x = l is the layer's column, ys the heights of its drawn circles (centred on 0) and shown the
    number of units drawn. Layers wider than max_drawn show max_drawn - 1 units and a gap for the rest."""
    layout = []
    for l, n in enumerate(sizes):
        shown = n if n <= max_drawn else max_drawn - 1
        slots = shown if n <= max_drawn else max_drawn      # one slot is left empty for the "..." gap
        ys = np.arange(slots)[::-1] - (slots - 1) / 2
        if n > max_drawn:
            ys = np.delete(ys, slots - 2)                    # the gap sits just above the last unit
        layout.append((l, ys, shown))
    return layout


# Lines leaving one unit share a colour. The palette avoids blue, orange and green, which the chapters use for the
# activation functions (sigmoid, tanh, ReLU) in plots beside the diagrams.
EDGE_COLORS = ("tab:purple", "tab:brown", "tab:pink", "tab:olive", "tab:cyan", "tab:red", "black")


def edge_label_fraction(i, n_from):
    """Where along its line (0 = at unit i of the left layer, 1 = at the right layer) the label of a line
    from unit i of a layer of n_from drawn units sits in plot_network: the lines leaving one unit carry their
    labels at the same fraction, each unit at its own, from 0.3 for the top unit to 0.7 for the bottom one.
    Labels of different units are so kept apart sideways, even where their lines cross, and those of one
    unit are kept apart vertically by the fanning out of its lines."""
    return 0.5 if n_from == 1 else 0.3 + 0.4 * i / (n_from - 1)


def plot_network(sizes, title=None, max_drawn=8, node_labels=None, edge_labels=None, layer_names=None,
                 show_sizes=True):
    """Schematic of a fully connected network: one column of circles per layer l = 0..L, every unit of
    layer l-1 joined to every unit of layer l (the weights W^(l), shape (n_{l-1}, n_l)).

    sizes: [n_0, n_1, ..., n_L], e.g. [784, 30, 10]. Wide layers are drawn with max_drawn - 1 circles
    and a "⋮" for the units not drawn; every column is labelled with its size n_l.
    node_labels: optional {(l, j): text} written next to unit j of layer l (j counted from 0);
    edge_labels: optional {(l, i, j): text} written on the line from unit i of layer l-1 to unit j of
    layer l (for small networks, e.g. a weight or a local gradient). In a layer with labels, the lines that
    leave one unit and their labels share a colour, one colour per unit of layer l-1.
    layer_names: optional list of L + 1 names under the columns (default: input, hidden l, output).
    show_sizes=False leaves out the n_l labels (e.g. for a computational graph whose last column is the cost).
    """
    sizes = [int(n) for n in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes needs at least an input and an output layer of positive sizes, got {sizes}")
    layout = network_layout(sizes, max_drawn)
    L = len(sizes) - 1
    names = layer_names or (["input"] + [f"hidden {l}" for l in range(1, L)] + ["output"])
    if len(names) != len(sizes):
        raise ValueError(f"layer_names needs one name per layer ({len(sizes)}), got {len(names)}")
    lowest = min(ys.min() for _, ys, _ in layout)
    highest = max(ys.max() for _, ys, _ in layout)
    tallest = max(len(ys) for _, ys, _ in layout) + (1 if max(sizes) > max_drawn else 0)
    fig = Figure(figsize=(1.9 * len(sizes) + 1, 0.45 * tallest + 1.6), layout="constrained")
    ax = fig.subplots()
    for (x0, ys0, _), (x1, ys1, _) in zip(layout[:-1], layout[1:]):
        labelled = any((x1, i, j) in (edge_labels or {}) for i in range(len(ys0)) for j in range(len(ys1)))
        for i, y0 in enumerate(ys0):
            # With labels, the lines leaving unit i (and their labels) share one colour, so that a reader can
            # tell which line a number belongs to where lines cross; without labels, all are grey.
            color = EDGE_COLORS[i % len(EDGE_COLORS)] if labelled else "0.6"
            for j, y1 in enumerate(ys1):
                ax.plot([x0, x1], [y0, y1], color=color, linewidth=0.8 if labelled else 0.6, zorder=1)
                text = (edge_labels or {}).get((x1, i, j))
                if text is not None:
                    fraction = edge_label_fraction(i, len(ys0))
                    ax.text(x0 + fraction * (x1 - x0), y0 + fraction * (y1 - y0), text, fontsize=8,
                            ha="center", va="center", zorder=3, color=color,
                            bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor=color,
                                      linewidth=0.5))
    for (x, ys, shown), n, name in zip(layout, sizes, names):
        ax.scatter([x] * len(ys), ys, s=420, facecolor="white", edgecolor="black", zorder=2)
        if shown < n:
            ax.text(x, (ys[-1] + ys[-2]) / 2, "⋮", ha="center", va="center", fontsize=14)
        for j, y in enumerate(ys):
            text = (node_labels or {}).get((x, j))
            if text is not None:
                ax.text(x, y + 0.3, text, ha="center", va="bottom", fontsize=8, zorder=3,
                        bbox=dict(boxstyle="round,pad=0.1", facecolor="white", edgecolor="none"))
        label = f"{name}\n$n_{{{x}}} = {n}$" if show_sizes else name
        ax.text(x, lowest - 0.9, label, ha="center", va="top", fontsize=9)
    ax.set_xlim(-0.6, L + 0.6)
    ax.set_ylim(lowest - 2.0, highest + 1.0)
    ax.set_axis_off()
    ax.set_title(title or f"A {'-'.join(map(str, sizes))} network")
    return fig


def plot_confusion_matrix(counts, title="Confusion matrix", mask_diagonal=True):
    """counts[i, j] = examples of true class i predicted as j (see metrics.confusion_matrix), (k, k).

    mask_diagonal=True colours only the mistakes (i != j): the correct counts on the diagonal are
    hundreds of times larger and would wash every error cell out to white. They are still written in
    their grey cells."""
    counts = np.asarray(counts)
    shown = np.ma.masked_where(np.eye(len(counts), dtype=bool), counts) if mask_diagonal else counts
    fig = Figure(figsize=(5.5, 4.8), layout="constrained")
    ax = fig.subplots()
    if mask_diagonal:
        ax.imshow(np.eye(len(counts)), cmap="Greys", vmin=0, vmax=4)
    image = ax.imshow(shown, cmap="Reds" if mask_diagonal else "Blues")
    fig.colorbar(image, ax=ax, label="mistakes" if mask_diagonal else "count")
    threshold = shown.max() / 2
    for (i, j), value in np.ndenumerate(counts):
        light = (i != j or not mask_diagonal) and value > threshold
        ax.text(j, i, str(value), ha="center", va="center", fontsize=7, color="white" if light else "black")
    ax.set_xticks(range(len(counts)))
    ax.set_yticks(range(len(counts)))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return fig


def show_weights(W, n=16, ncols=8, title="First-layer weights", units=None):
    """Columns of W (784, n_hidden) as 28x28 images: what each hidden unit looks for. Shows the first n
    columns, or the columns listed in units (e.g. [126, 8]). Red is positive, blue negative, on a symmetric
    scale per unit."""
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[0] != 784:
        raise ValueError(f"show_weights expects first-layer weights of shape (784, n_hidden), got {W.shape}")
    if units is None:
        units = list(range(min(n, W.shape[1])))
    units = [int(unit) for unit in units]
    if not units or min(units) < 0 or max(units) >= W.shape[1]:
        raise ValueError(f"units must be a non-empty list of column indices in 0..{W.shape[1] - 1}, got {units}")
    ncols = min(ncols, len(units))
    nrows = -(-len(units) // ncols)
    fig = Figure(figsize=(ncols * 1.1, nrows * 1.2 + 0.4), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < len(units):
            column = W[:, units[i]]
            limit = np.abs(column).max() or 1
            ax.imshow(column.reshape(28, 28), cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(f"unit {units[i]}", fontsize=8)
    fig.suptitle(title)
    return fig


def show_filters(K, channel=0, ncols=8, title="Convolution filters"):
    """The filters of a convolution layer, K (F, C, kh, kw), as F small images of their weights on input
    channel `channel`: red positive, blue negative, on a symmetric scale per filter."""
    K = np.asarray(K)
    if K.ndim != 4:
        raise ValueError(f"show_filters expects a filter bank of shape (F, C, kh, kw), got {K.shape}")
    if not 0 <= channel < K.shape[1]:
        raise ValueError(f"channel must be in 0..{K.shape[1] - 1} for filters with {K.shape[1]} input channels, "
                         f"got {channel}")
    return _image_grid(K[:, channel], ncols, title, "RdBu_r", symmetric=True, label="filter")


def show_feature_maps(maps, ncols=8, title="Feature maps"):
    """One example's feature maps, maps (C, H, W), as C grey images (dark = large), each on its own scale."""
    maps = np.asarray(maps)
    if maps.ndim != 3:
        raise ValueError(f"show_feature_maps expects one example's maps of shape (C, H, W), got {maps.shape}; "
                         f"pick the example first, e.g. maps[0]")
    return _image_grid(maps, ncols, title, "gray_r", symmetric=False, label="map")


def _image_grid(images, ncols, title, cmap, symmetric, label):
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig = Figure(figsize=(ncols * 1.1, nrows * 1.2 + 0.4), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < n:
            if symmetric:
                limit = float(np.abs(images[i]).max()) or 1.0
                ax.imshow(images[i], cmap=cmap, vmin=-limit, vmax=limit)
            else:
                ax.imshow(images[i], cmap=cmap, vmin=min(0.0, float(images[i].min())),
                          vmax=float(images[i].max()) or 1.0)
            ax.set_title(f"{label} {i}", fontsize=8)
    fig.suptitle(title)
    return fig


def _integer_ticks(axis):
    """Whole-number ticks only (epochs, layers): no 0.25-epoch ticks on a short run."""
    axis.set_major_locator(MaxNLocator(integer=True))


def plot_probabilities(probabilities, true_classes=None, titles=None, title="Softmax probabilities",
                       true_color="C1", other_color="C0"):
    """Bar charts of output probabilities: one panel per row of probabilities (n, k) (or a single row (k,)).

    Bar j is the probability of class j, on a common 0..1 scale; the true class (true_classes: (n,), optional)
    is drawn in true_color and named in a legend beside the panels, the other classes in other_color. The true class's tick label
    is bold in true_color and its probability is written above its bar, so it shows even when the bar is too
    low to see. Pass colours that no other meaning in the chapter uses (e.g. not the colour of a cost)."""
    probabilities = np.atleast_2d(np.asarray(probabilities, dtype=float))
    n, k = probabilities.shape
    fig = Figure(figsize=(min(3.2 * n, 13), 2.8), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False)[0]
    for i, (ax, row) in enumerate(zip(axes, probabilities)):
        colours = [true_color if true_classes is not None and j == true_classes[i] else other_color
                   for j in range(k)]
        bars = ax.bar(range(k), row, color=colours)
        ax.set_ylim(0, 1)
        ax.set_xticks(range(k))
        ax.set_xlabel("class")
        if true_classes is not None:
            c = int(true_classes[i])
            ax.get_xticklabels()[c].set(color=true_color, fontweight="bold")
            p = row[c]
            text = "<0.01" if p < 0.005 else f"{p:.2f}"
            if p > 0.8:   # no room above the bar: beside its top (the other bars are below 0.2 there)
                side = -1 if c == k - 1 else 1
                ax.annotate(text, (c + 0.4 * side, p), xytext=(3 * side, 0), textcoords="offset points",
                            ha="left" if side > 0 else "right", va="top", fontsize=8, color=true_color,
                            fontweight="bold")
            else:
                ax.annotate(text, (c, p), xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                            fontsize=8, color=true_color, fontweight="bold")
        if i == 0:
            ax.set_ylabel("probability")
            if true_classes is not None:
                true_bar = bars[int(true_classes[0])]
                other_bar = next((bar for j, bar in enumerate(bars) if j != true_classes[0]), None)
                handles = [true_bar] + ([other_bar] if other_bar is not None else [])
                fig.legend(handles, ["true class", "other classes"][:len(handles)], fontsize=8,
                           loc="outside right upper")   # beside the panels: it never covers a bar
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
        ax.grid(alpha=0.3, axis="y")
    fig.suptitle(title)
    return fig


def plot_layer_histograms(activations, title="Activations per hidden layer", bins=40, shared_range=False,
                          colors=None):
    """Histograms of every hidden layer's activations, one panel per layer, left (layer 1) to right.

    activations: a list of arrays A^(1), ..., A^(L-1), each (m, n_l) (e.g. Network.hidden_activations(X)),
    or a dict name -> such a list to compare networks, one row per name. By default each panel has its own
    x-range (the point is the shape, with the scale printed as the std in its title); shared_range=True
    gives all panels of a row the row's range, so a signal growing or fading from layer to layer shows as
    histograms widening or shrinking to a spike. Each panel's x-axis is labelled at its two ends only (no
    offset exponent that could be read as the next panel's). The count axis is logarithmic so that a spike
    of exact zeros (dead ReLU outputs) does not hide the rest. colors: optional dict name -> colour per row."""
    rows = activations if isinstance(activations, dict) else {"": activations}
    colors = colors or {}
    n_layers = max(len(layers) for layers in rows.values())
    fig = Figure(figsize=(1.2 * n_layers + 1, 1.5 * len(rows) + 0.6), layout="constrained")
    axes = fig.subplots(len(rows), n_layers, squeeze=False)
    for r, (name, layers) in enumerate(rows.items()):
        flat = [np.asarray(layer, dtype=float).ravel() for layer in layers]
        row_range = (min(v.min() for v in flat), max(v.max() for v in flat)) if flat else (0.0, 1.0)
        for l, ax in enumerate(axes[r]):
            if l >= len(layers):
                ax.set_axis_off()
                continue
            values = flat[l]
            low, high = row_range if shared_range else (values.min(), values.max())
            if high <= low:
                high = low + 1.0
            ax.hist(values, bins=np.linspace(low, high, bins + 1), color=colors.get(name, f"C{r}"))
            ax.set_xlim(low, high)
            ax.set_yscale("log")
            ax.set_yticks([])
            ax.set_yticks([], minor=True)
            ax.set_xticks([low, high], [_tick_number(low), _tick_number(high)])
            ax.tick_params(axis="x", labelsize=9)
            ax.set_title(f"layer {l + 1}\nstd {_tick_number(values.std())}", fontsize=9)
        if name:
            axes[r, 0].set_ylabel(name, fontsize=9)
    where = "the same range across each row" if shared_range else "each panel its own range"
    fig.supxlabel(f"activation value ({where})", fontsize=10)
    fig.supylabel("count (log scale)", fontsize=10)
    fig.suptitle(title)
    return fig


def _tick_number(value):
    """Two significant digits, large and small ones in mathtext powers of ten: 6.4e+09 -> $6.4{\\times}10^{9}$."""
    text = f"{value:.2g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return rf"${mantissa}{{\times}}10^{{{int(exponent)}}}$"


def plot_schedules(schedules, epochs, title="Learning rate per epoch", ylabel="learning rate", color=None):
    """The learning rate of each schedule (dict name -> function epoch -> lr, epoch counted from 0 as in
    nnlib.train) for epochs 1..epochs, as readers count them.

    color: one colour for every schedule (a chapter's colours may already stand for optimizers); the schedules
    are then told apart by line style and marker. Without it, each schedule gets its own colour."""
    fig = Figure(figsize=(6, 3.3), layout="constrained")
    ax = fig.subplots()
    shown = np.arange(1, epochs + 1)
    looks = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D")]
    for i, (name, schedule) in enumerate(schedules.items()):
        linestyle, marker = looks[i % len(looks)] if color is not None else ("-", "o")
        ax.plot(shown, [schedule(epoch - 1) for epoch in shown], color=color, linestyle=linestyle, marker=marker,
                label=name)
    _integer_ticks(ax.xaxis)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def show_saliency(images, maps, titles=None, title="Saliency", percentile=99):
    """Saliency maps (n, 784) drawn over their digits (n, 784): red pixels raise the score when inked more,
    blue ones lower it, white ones do not matter; the digit's outline (pixel value 0.5) in black on top.

    The colour scale is symmetric and clipped at the given percentile of |map| per image, so a few extreme
    pixels do not wash out the rest."""
    images = np.asarray(images).reshape(len(images), 28, 28)
    maps = np.asarray(maps).reshape(len(maps), 28, 28)
    if images.shape != maps.shape:
        raise ValueError(f"one saliency map per image: got {len(images)} images and {len(maps)} maps")
    fig = Figure(figsize=(1.8 * len(images) + 0.8, 2.3), layout="constrained")
    axes = fig.subplots(1, len(images), squeeze=False)[0]
    for i, ax in enumerate(axes):
        limit = np.percentile(np.abs(maps[i]), percentile) or 1.0
        shown = ax.imshow(maps[i], cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.contour(images[i], levels=[0.5], colors="black", linewidths=0.8)
        ax.set_axis_off()
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    fig.colorbar(shown, ax=list(axes), shrink=0.8, ticks=[], label="− lowers score · raises +")
    fig.suptitle(title)
    return fig


def format_seconds(seconds):
    """A duration in the unit that keeps it readable: 0.000061 -> "61 µs", 0.022 -> "22 ms", 1.7 -> "1.7 s"."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale or unit == "µs":
            value = seconds / scale
            return f"{value:.2g} {unit}" if value < 10 else f"{value:.0f} {unit}"   # "100 µs", not "1e+02 µs"


def plot_times(times, title="Time", xlabel="seconds (log scale)", reference=None, colors=None):
    """Durations that differ by orders of magnitude, as a dot plot on a logarithmic axis: one row per entry
    of times (dict name -> seconds, drawn top to bottom in the dict's order), each dot with its time written
    beside it ("61 µs", "1.7 s") and, given reference (a name in times), how many times the reference's
    time it is ("22 ms = 370× backpropagation"). Dots, not bars: a bar on a log axis starts at an
    arbitrary floor, so its length means nothing; a dot's position along the decades does.
    colors: optional dict name -> colour."""
    if reference is not None and reference not in times:
        raise ValueError(f"reference must be one of the names in times ({', '.join(times)}), got {reference!r}")
    names, seconds = list(times), np.array([float(t) for t in times.values()])
    if np.any(seconds <= 0):
        raise ValueError(f"times must be positive to go on a log axis, got {dict(zip(names, seconds))}")
    colors = colors or {}
    fig = Figure(figsize=(7, 0.55 * len(names) + 1.3), layout="constrained")
    ax = fig.subplots()
    rows = np.arange(len(names))[::-1]
    left, right = np.floor(np.log10(seconds.min()) - 0.3), np.ceil(np.log10(seconds.max()) + 0.3)   # whole decades
    for row, name, value in zip(rows, names, seconds):
        ax.scatter([value], [row], s=60, color=colors.get(name, "black"), zorder=2)
        text = format_seconds(value)
        if reference is not None and name != reference:
            text += f" = {value / times[reference]:,.0f}× {reference}"
        on_right = np.log10(value) - left < right - np.log10(value)   # the text goes where the row has more room
        ax.annotate(text, (value, row), xytext=(8 if on_right else -8, 0), textcoords="offset points",
                    ha="left" if on_right else "right", va="center", fontsize=9)
    ax.set_xscale("log")
    ax.set_xlim(10 ** left, 10 ** right)
    ax.set_yticks(rows, names)
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.set_xlabel(xlabel)
    ax.grid(alpha=0.3)
    ax.set_title(title)
    return fig
