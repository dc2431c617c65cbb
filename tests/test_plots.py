"""Plot helpers return matplotlib Figures with the promised content and never touch pyplot's state."""
import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlib import History, confusion_matrix
from nnlib.plots import (network_layout, plot_confusion_matrix, plot_history, plot_layer_histograms, plot_network,
                         plot_probabilities, plot_schedules, show_digits, show_feature_maps, show_filters,
                         show_saliency, show_weights)
from nnlib.schedules import constant, cosine_decay


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


def test_plot_history_counts_epochs_from_one_with_whole_number_ticks(pyplot_untouched):
    fig = plot_history(History(loss=[1.0, 0.5], val_accuracy=[0.6, 0.8]))
    for ax in fig.axes:
        np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2])
        fig.canvas.draw()
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks   # no 1.25, 1.5, ... ticks


def test_plot_history_keeps_one_colour_per_run(pyplot_untouched):
    fig = plot_history({"eta = 3": history(), "eta = 30": history()},
                       colors={"eta = 3": "tab:green", "eta = 30": "tab:red"})
    loss_ax, acc_ax = fig.axes
    assert [line.get_color() for line in loss_ax.lines] == ["tab:green", "tab:red"]
    # train and validation of one run share its colour and differ in line style
    assert [line.get_color() for line in acc_ax.lines] == ["tab:green", "tab:green", "tab:red", "tab:red"]
    assert [line.get_linestyle() for line in acc_ax.lines[:2]] == ["-", "--"]


def test_network_layout_draws_wide_layers_with_a_gap():
    layout = network_layout([2, 3, 784], max_drawn=8)
    assert [shown for _, _, shown in layout] == [2, 3, 7]
    np.testing.assert_array_equal(layout[0][1], [0.5, -0.5])          # centred on 0
    ys = layout[2][1]
    assert len(ys) == 7 and ys[0] == 3.5 and ys[-1] == -3.5 and -2.5 not in ys   # the gap above the last unit


def test_plot_network_draws_every_connection_and_labels_each_layer(pyplot_untouched):
    fig = plot_network([2, 3, 1], edge_labels={(2, 1, 0): "0.5"}, node_labels={(1, 0): "z = 0.9"})
    ax = fig.axes[0]
    assert len(ax.lines) == 2 * 3 + 3 * 1                         # one line per weight
    texts = [t.get_text() for t in ax.texts]
    assert "input\n$n_{0} = 2$" in texts and "hidden 1\n$n_{1} = 3$" in texts and "output\n$n_{2} = 1$" in texts
    assert "0.5" in texts and "z = 0.9" in texts and ax.get_title() == "A 2-3-1 network"
    wide = plot_network([784, 30, 10])
    assert len(wide.axes[0].lines) == 7 * 7 + 7 * 7 and "⋮" in [t.get_text() for t in wide.axes[0].texts]
    graph = plot_network([2, 1], layer_names=["x", "cost C"], show_sizes=False)
    assert {"x", "cost C"} <= {t.get_text() for t in graph.axes[0].texts}
    with pytest.raises(ValueError, match="layer_names needs one name per layer \\(3\\), got 2"):
        plot_network([2, 3, 1], layer_names=["in", "out"])
    with pytest.raises(ValueError, match="positive sizes"):
        plot_network([784])


def test_plot_confusion_matrix(pyplot_untouched):
    counts = confusion_matrix([0, 0, 1, 2], [0, 1, 1, 2], n_classes=3)
    fig = plot_confusion_matrix(counts, title="Errors")
    ax = fig.axes[0]
    assert isinstance(fig, Figure) and ax.get_title() == "Errors"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted", "true")
    assert [t.get_text() for t in ax.texts] == ["1", "1", "0", "0", "1", "0", "0", "0", "1"]
    coloured = ax.images[-1].get_array()   # the diagonal is masked: only mistakes take the colour scale
    assert coloured.mask.tolist() == np.eye(3, dtype=bool).tolist() and coloured.max() == 1
    plain = plot_confusion_matrix(counts, mask_diagonal=False).axes[0].images[-1].get_array()
    assert not np.ma.is_masked(plain)


def test_plot_probabilities_one_bar_per_class_true_class_highlighted(pyplot_untouched):
    p = np.array([[0.1, 0.7, 0.2], [0.5, 0.25, 0.25]])
    fig = plot_probabilities(p, true_classes=[2, 0], titles=["a", "b"])
    first, second = fig.axes
    assert [bar.get_height() for bar in first.patches] == pytest.approx([0.1, 0.7, 0.2])
    assert [bar.get_facecolor() for bar in first.patches][2] != first.patches[0].get_facecolor()
    assert second.get_title() == "b" and first.get_ylim() == (0, 1)
    assert len(plot_probabilities(p[0]).axes) == 1


def test_plot_probabilities_colours_are_chosen_and_the_true_class_is_named(pyplot_untouched):
    p = np.array([[0.1, 0.7, 0.2]])
    ax = plot_probabilities(p, true_classes=[2], true_color="C2", other_color="0.6").axes[0]
    assert ax.patches[2].get_facecolor() == pytest.approx(matplotlib.colors.to_rgba("C2"))
    assert ax.patches[0].get_facecolor() == pytest.approx(matplotlib.colors.to_rgba("0.6"))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["true class", "other classes"]
    assert plot_probabilities(p).axes[0].get_legend() is None


def test_plot_layer_histograms_one_panel_per_layer_and_row_per_network(pyplot_untouched):
    rng = np.random.default_rng(0)
    layers = [rng.standard_normal((50, 8)) * scale for scale in (1.0, 2.0, 4.0)]
    fig = plot_layer_histograms(layers)
    assert len(fig.axes) == 3 and fig.axes[2].get_title().startswith("layer 3: std")
    assert fig.axes[0].get_yscale() == "log"
    compared = plot_layer_histograms({"a": layers, "b": layers[:2]})
    assert len(compared.axes) == 6 and compared.axes[0].get_ylabel() == "a"
    assert not compared.axes[5].axison   # network b has no third layer


def test_plot_layer_histograms_can_share_each_rows_range(pyplot_untouched):
    rng = np.random.default_rng(0)
    layers = [np.abs(rng.standard_normal((50, 8))) * scale for scale in (1.0, 100.0)]
    own = plot_layer_histograms(layers)
    assert own.axes[0].get_xlim()[1] < own.axes[1].get_xlim()[1] / 10
    shared = plot_layer_histograms({"wide": layers, "narrow": [layers[0]]}, shared_range=True,
                                   colors={"wide": "C3"})
    assert shared.axes[0].get_xlim() == shared.axes[1].get_xlim()
    assert shared.axes[0].patches[0].get_facecolor() == pytest.approx(matplotlib.colors.to_rgba("C3"))
    labels = [t.get_text() for t in shared.axes[1].get_xticklabels()]
    assert len(labels) == 2 and labels[1] == f"{layers[1].max():.2g}"


def test_plot_schedules_counts_epochs_from_one_with_whole_number_ticks(pyplot_untouched):
    fig = plot_schedules({"constant": constant(0.1), "cosine": cosine_decay(0.1, 4)}, epochs=4)
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3, 4])
    assert ax.lines[1].get_ydata()[0] == pytest.approx(0.1)          # epoch 1 is schedule(0)
    assert ax.lines[1].get_ydata()[2] == pytest.approx(0.05)
    fig.canvas.draw()
    assert all(float(t).is_integer() for t in ax.get_xticks())


def test_plot_schedules_in_one_colour_tells_schedules_apart_by_line_style(pyplot_untouched):
    fig = plot_schedules({"a": constant(1.0), "b": cosine_decay(1.0, 4), "c": constant(0.5)}, epochs=4,
                         ylabel=r"$\eta / \eta_0$", color="k")
    ax = fig.axes[0]
    assert len({line.get_color() for line in ax.lines}) == 1 and ax.get_ylabel() == r"$\eta / \eta_0$"
    assert len({line.get_linestyle() for line in ax.lines}) == 3 and len({line.get_marker() for line in ax.lines}) == 3


def test_show_digits_labels_its_rows(pyplot_untouched):
    fig = show_digits(np.zeros((4, 784)), ncols=2, row_labels=["unit 3", "unit 7"])
    assert [text.get_text() for ax in fig.axes for text in ax.texts] == ["unit 3", "unit 7"]


def test_show_saliency_overlays_an_outline_and_checks_counts(pyplot_untouched):
    rng = np.random.default_rng(0)
    images, maps = rng.random((3, 784)), rng.standard_normal((3, 784))
    fig = show_saliency(images, maps, titles=["x", "y", "z"])
    panels = [ax for ax in fig.axes if ax.get_title() in ("x", "y", "z")]
    assert len(panels) == 3 and all(ax.images and ax.collections for ax in panels)   # map + contour
    low, high = panels[0].images[0].get_clim()
    assert low == -high and high == pytest.approx(np.percentile(np.abs(maps[0]), 99))
    with pytest.raises(ValueError, match="one saliency map per image"):
        show_saliency(images, maps[:2])


def test_show_weights(pyplot_untouched):
    W = np.random.default_rng(0).standard_normal((784, 30))
    fig = show_weights(W, n=10, ncols=5)
    assert isinstance(fig, Figure) and len(fig.axes) == 10
    assert fig.axes[9].get_title() == "unit 9"
    with pytest.raises(ValueError, match=r"expects first-layer weights of shape \(784, n_hidden\), got \(30, 784\)"):
        show_weights(W.T)


def test_show_filters_and_feature_maps(pyplot_untouched):
    K = np.random.default_rng(0).standard_normal((6, 2, 5, 5))
    fig = show_filters(K, channel=1, ncols=4)
    assert len(fig.axes) == 8 and fig.axes[5].get_title() == "filter 5" and fig.axes[6].get_title() == ""
    np.testing.assert_array_equal(fig.axes[2].images[0].get_array(), K[2, 1])
    maps = np.abs(K[:, 0])
    fig = show_feature_maps(maps, ncols=3)
    assert len(fig.axes) == 6 and fig.axes[0].get_title() == "map 0"
    with pytest.raises(ValueError, match=r"shape \(F, C, kh, kw\), got \(6, 5, 5\)"):
        show_filters(K[:, 0])
    with pytest.raises(ValueError, match="channel must be in 0..1"):
        show_filters(K, channel=2)
    with pytest.raises(ValueError, match=r"pick the example first, e.g. maps\[0\]"):
        show_feature_maps(K)


def test_figures_render(pyplot_untouched, tmp_path):
    fig = plot_history(history())
    fig.savefig(tmp_path / "history.png")
    assert (tmp_path / "history.png").stat().st_size > 1000
