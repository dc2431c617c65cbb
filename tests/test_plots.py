"""Plot helpers return matplotlib Figures with the promised content and never touch pyplot's state."""
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlib import History, confusion_matrix
from nnlib.plots import plot_confusion_matrix, plot_history, show_digits, show_weights


@pytest.fixture
def pyplot_untouched():
    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before


def history():
    return History(loss=[1.0, 0.5, 0.3], train_accuracy=[0.5, 0.8, 0.9], val_accuracy=[0.4, 0.7, 0.85], lr=[0.1] * 3)


def test_show_digits(pyplot_untouched):
    images = np.random.default_rng(0).random((12, 784))
    fig = show_digits(images, labels=list(range(12)), predictions=[0] * 12, ncols=6)
    assert isinstance(fig, Figure) and len(fig.axes) == 12
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "0 →0" and titles[3] == "3 →0"
    assert fig.axes[0].title.get_color() == "black" and fig.axes[3].title.get_color() == "red"
    assert len(show_digits(images[:3].reshape(3, 28, 28)).axes) == 10   # one row of 10, 7 blank


def test_plot_history_single_and_compared(pyplot_untouched):
    fig = plot_history(history(), title="Run")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    loss_ax, acc_ax = fig.axes
    assert (loss_ax.get_xlabel(), loss_ax.get_ylabel(), loss_ax.get_title()) == ("epoch", "loss", "Run: loss")
    np.testing.assert_array_equal(loss_ax.lines[0].get_ydata(), [1.0, 0.5, 0.3])
    assert [line.get_label() for line in acc_ax.lines] == ["train", "validation"]   # no test data: no line
    compared = plot_history({"sgd": history(), "adam": history()})
    assert [line.get_label() for line in compared.axes[0].lines] == ["sgd loss", "adam loss"]


def test_plot_confusion_matrix(pyplot_untouched):
    counts = confusion_matrix([0, 0, 1, 2], [0, 1, 1, 2], n_classes=3)
    fig = plot_confusion_matrix(counts, title="Errors")
    ax = fig.axes[0]
    assert isinstance(fig, Figure) and ax.get_title() == "Errors"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted", "true")
    assert [t.get_text() for t in ax.texts] == ["1", "1", "0", "0", "1", "0", "0", "0", "1"]


def test_show_weights(pyplot_untouched):
    W = np.random.default_rng(0).standard_normal((784, 30))
    fig = show_weights(W, n=10, ncols=5)
    assert isinstance(fig, Figure) and len(fig.axes) == 10
    assert fig.axes[9].get_title() == "unit 9"
    with pytest.raises(ValueError, match=r"expects first-layer weights of shape \(784, n_hidden\), got \(30, 784\)"):
        show_weights(W.T)


def test_figures_render(pyplot_untouched, tmp_path):
    fig = plot_history(history())
    fig.savefig(tmp_path / "history.png")
    assert (tmp_path / "history.png").stat().st_size > 1000
