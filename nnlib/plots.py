"""Figures for the notebooks. Each function builds and returns a matplotlib Figure without touching
pyplot's global state: display it in Jupyter by leaving it as a cell's last value, or call fig.savefig."""
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


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


def plot_history(history, title="Training", metrics=("loss", "accuracy"), colors=None):
    """Loss and accuracy per epoch from a History (or a dict of name -> History to compare runs).

    Epochs are drawn as 1..E with whole-number ticks only (a History's lists are indexed from 0, the
    reader counts from 1). colors: optional dict run name -> matplotlib colour, so that one condition
    keeps one colour in every plot of a chapter; a single History takes the key "".
    """
    runs = history if isinstance(history, dict) else {"": history}
    colors = colors or {}
    fig = Figure(figsize=(5 * len(metrics), 3.5), layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics):
        for name, run in runs.items():
            series = [("loss", run.loss)] if metric == "loss" else [
                ("train", run.train_accuracy), ("validation", run.val_accuracy), ("test", run.test_accuracy)]
            drawn = [(label, values) for label, values in series if values]
            for (label, values), style in zip(drawn, ("-", "--", ":")):
                ax.plot(range(1, len(values) + 1), values, marker=".", color=colors.get(name),
                        linestyle=style if name in colors else "-",
                        label=" ".join(filter(None, (name, label))))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(f"{title}: {metric}")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[1]:
            ax.legend(fontsize=8)
    return fig


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


def plot_network(sizes, title=None, max_drawn=8, node_labels=None, edge_labels=None, layer_names=None,
                 show_sizes=True):
    """Schematic of a fully connected network: one column of circles per layer l = 0..L, every unit of
    layer l-1 joined to every unit of layer l (the weights W^(l), shape (n_{l-1}, n_l)).

    sizes: [n_0, n_1, ..., n_L], e.g. [784, 30, 10]. Wide layers are drawn with max_drawn - 1 circles
    and a "⋮" for the units not drawn; every column is labelled with its size n_l.
    node_labels: optional {(l, j): text} written next to unit j of layer l (j counted from 0);
    edge_labels: optional {(l, i, j): text} written on the line from unit i of layer l-1 to unit j of
    layer l (for small networks, e.g. a weight or a local gradient).
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
        for i, y0 in enumerate(ys0):
            for j, y1 in enumerate(ys1):
                ax.plot([x0, x1], [y0, y1], color="0.6", linewidth=0.6, zorder=1)
                text = (edge_labels or {}).get((x1, i, j))
                if text is not None:
                    fraction = 0.3 if len(ys1) > 1 else 0.5    # off-centre, so crossing lines keep their labels apart
                    ax.text(x0 + fraction * (x1 - x0), y0 + fraction * (y1 - y0), text, fontsize=8,
                            ha="center", va="center", zorder=3,
                            bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none"))
    for (x, ys, shown), n, name in zip(layout, sizes, names):
        ax.scatter([x] * len(ys), ys, s=420, facecolor="white", edgecolor="black", zorder=2)
        if shown < n:
            ax.text(x, (ys[-1] + ys[-2]) / 2, "⋮", ha="center", va="center", fontsize=14)
        for j, y in enumerate(ys):
            text = (node_labels or {}).get((x, j))
            if text is not None:
                ax.text(x, y + 0.42, text, ha="center", va="bottom", fontsize=8, zorder=3)
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


def show_weights(W, n=16, ncols=8, title="First-layer weights"):
    """The first n columns of W (784, n_hidden) as 28x28 images: what each hidden unit looks for.
    Red is positive, blue negative, on a symmetric scale per unit."""
    W = np.asarray(W)
    if W.shape[0] != 784:
        raise ValueError(f"show_weights expects first-layer weights of shape (784, n_hidden), got {W.shape}")
    n = min(n, W.shape[1])
    nrows = -(-n // ncols)
    fig = Figure(figsize=(ncols * 1.1, nrows * 1.2 + 0.4), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < n:
            limit = np.abs(W[:, i]).max() or 1
            ax.imshow(W[:, i].reshape(28, 28), cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(f"unit {i}", fontsize=8)
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
    from matplotlib.ticker import MaxNLocator
    axis.set_major_locator(MaxNLocator(integer=True))


def plot_probabilities(probabilities, true_classes=None, titles=None, title="Softmax probabilities",
                       true_color="C1", other_color="C0"):
    """Bar charts of output probabilities: one panel per row of probabilities (n, k) (or a single row (k,)).

    Bar j is the probability of class j, on a common 0..1 scale; the true class (true_classes: (n,), optional)
    is drawn in true_color and named in a legend, the other classes in other_color. Pass colours that no other
    meaning in the chapter uses (e.g. not the colour of a cost)."""
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
        if i == 0:
            ax.set_ylabel("probability")
            if true_classes is not None:
                true_bar = bars[int(true_classes[0])]
                other_bar = next((bar for j, bar in enumerate(bars) if j != true_classes[0]), None)
                handles = [true_bar] + ([other_bar] if other_bar is not None else [])
                ax.legend(handles, ["true class", "other classes"][:len(handles)], fontsize=7, loc="upper left")
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
    fig = Figure(figsize=(1.5 * n_layers + 1, 1.6 * len(rows) + 0.6), layout="constrained")
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
            ax.set_xticks([low, high], [f"{low:.2g}", f"{high:.2g}"])
            ax.tick_params(axis="x", labelsize=6)
            ax.set_title(f"layer {l + 1}: std {values.std():.2g}", fontsize=7)
        if name:
            axes[r, 0].set_ylabel(name, fontsize=9)
    where = "the same range across each row" if shared_range else "each panel its own range"
    fig.supxlabel(f"activation value ({where})", fontsize=9)
    fig.supylabel("count (log scale)", fontsize=9)
    fig.suptitle(title)
    return fig


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
