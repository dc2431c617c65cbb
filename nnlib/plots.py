"""Figures for the notebooks. Each function builds and returns a matplotlib Figure without touching
pyplot's global state: display it in Jupyter by leaving it as a cell's last value, or call fig.savefig."""
import numpy as np
from matplotlib.figure import Figure


def show_digits(images, labels=None, predictions=None, ncols=10, size=1.0):
    """Grid of digits. images: (n, 784) or (n, 28, 28); labels / predictions: (n,) shown as titles,
    wrong predictions in red."""
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


def plot_history(history, title="Training", metrics=("loss", "accuracy")):
    """Loss and accuracy per epoch from a History (or a dict of name -> History to compare runs)."""
    runs = history if isinstance(history, dict) else {"": history}
    fig = Figure(figsize=(5 * len(metrics), 3.5), layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics):
        for name, run in runs.items():
            series = [("loss", run.loss)] if metric == "loss" else [
                ("train", run.train_accuracy), ("validation", run.val_accuracy), ("test", run.test_accuracy)]
            for label, values in series:
                if values:
                    ax.plot(range(len(values)), values, marker=".", label=" ".join(filter(None, (name, label))))
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(f"{title}: {metric}")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[1]:
            ax.legend(fontsize=8)
    return fig


def plot_confusion_matrix(counts, title="Confusion matrix"):
    """counts[i, j] = examples of true class i predicted as j (see metrics.confusion_matrix)."""
    counts = np.asarray(counts)
    fig = Figure(figsize=(5.5, 4.8), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(counts, cmap="Blues")
    fig.colorbar(image, ax=ax)
    threshold = counts.max() / 2
    for (i, j), value in np.ndenumerate(counts):
        ax.text(j, i, str(value), ha="center", va="center", fontsize=7,
                color="white" if value > threshold else "black")
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
