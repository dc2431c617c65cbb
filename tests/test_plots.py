"""Plot helpers return matplotlib Figures with the promised content and never touch pyplot's state."""
import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from nnlib import History, confusion_matrix
from nnlib.plots import (edge_label_fraction, format_seconds, network_layout, plot_confusion_matrix, plot_history,
                         plot_layer_histograms, plot_network, plot_probabilities, plot_schedules, plot_times,
                         show_digits, show_feature_maps, show_filters, show_saliency, show_weights)
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
    assert (loss_ax.get_xlabel(), loss_ax.get_title()) == ("epoch", "Run: loss")
    assert loss_ax.get_ylabel() == "training loss (mean over the epoch)"
    assert acc_ax.get_ylabel() == "accuracy"                      # train and validation: the legend tells them apart
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


def test_plot_history_names_the_accuracy_it_shows_in_percent(pyplot_untouched):
    fig = plot_history({"a": History(loss=[1.0, 0.5], val_accuracy=[0.6, 0.8])})
    ax = fig.axes[1]
    assert ax.get_ylabel() == "validation accuracy"
    percent = ax.yaxis.get_major_formatter()
    percent.set_locs([0.6, 0.7, 0.8])
    assert [percent(v) for v in (0.6, 0.8)] == ["60%", "80%"]
    percent.set_locs([0.950, 0.952, 0.954])
    assert [percent(v) for v in (0.950, 0.954)] == ["95.0%", "95.4%"]          # one number of decimals on every tick


def test_plot_history_zooms_on_a_range_and_marks_points_outside_it(pyplot_untouched):
    stuck = History(loss=[0.5, 0.5, 0.5], val_accuracy=[0.1, 0.1, 0.1])
    learning = History(loss=[0.4, 0.2, 0.1], val_accuracy=[0.7, 0.85, 0.9])
    fig = plot_history({"stuck": stuck, "learning": learning}, colors={"stuck": "tab:red", "learning": "tab:blue"},
                       ylims={"accuracy": (0.6, 1.0)})
    loss_ax, acc_ax = fig.axes
    assert acc_ax.get_ylim() == (0.6, 1.0) and loss_ax.get_ylim() != (0.6, 1.0)
    labels = [line.get_label() for line in acc_ax.lines if not line.get_label().startswith("_")]
    assert labels == ["stuck validation (▼ below 60%)", "learning validation"]
    edge = [line for line in acc_ax.lines if line.get_marker() == "v"]
    assert len(edge) == 1 and edge[0].get_color() == "tab:red"
    assert np.all((0.6 < edge[0].get_ydata()) & (edge[0].get_ydata() < 0.62))   # just inside the edge, pointing off
    np.testing.assert_array_equal(edge[0].get_xdata(), [1, 2, 3])


def test_plot_history_can_name_the_runs_alone_and_the_series_on_the_y_axis(pyplot_untouched):
    runs = {"without batch norm": History(loss=[2.3, 2.3], val_accuracy=[0.1, 0.1]),
            "with batch norm": History(loss=[1.4, 0.8], val_accuracy=[0.7, 0.8])}
    fig = plot_history(runs, colors={"without batch norm": "tab:orange", "with batch norm": "tab:blue"},
                       series_in_legend=False)
    loss_ax, acc_ax = fig.axes
    for ax in (loss_ax, acc_ax):
        assert [line.get_label() for line in ax.lines] == ["without batch norm", "with batch norm"]
        assert [line.get_color() for line in ax.lines] == ["tab:orange", "tab:blue"]
    assert (loss_ax.get_ylabel(), acc_ax.get_ylabel()) == ("training loss (mean over the epoch)", "validation accuracy")
    with pytest.raises(ValueError, match="one series per run and panel.*train and validation accuracy"):
        plot_history({"both": history()}, series_in_legend=False)


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


def _overlapping_texts(fig):
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in fig.axes[0].texts]
    return [(a, b) for k, (a, box) in enumerate(boxes) for b, other in boxes[k + 1:] if box.overlaps(other)]


def test_plot_network_edge_labels_never_overlap(pyplot_untouched):
    assert [edge_label_fraction(i, 3) for i in range(3)] == pytest.approx([0.3, 0.5, 0.7])
    assert edge_label_fraction(0, 1) == 0.5
    W1, W2 = np.array([[0.1, -0.2, 0.3], [0.4, 0.0, -0.1]]), np.array([[1.0, -1.0], [0.5, 0.5], [-1.0, 2.0]])
    labels = {(l + 1, i, j): f"{W[i, j]:g}" for l, W in enumerate([W1, W2]) for (i, j), _ in np.ndenumerate(W)}
    assert _overlapping_texts(plot_network([2, 3, 2], edge_labels=labels)) == []      # chapter 02's example
    graph = plot_network([2, 2, 1, 1], show_sizes=False, layer_names=["x", "hidden", "output", "cost"],
                         edge_labels={(1, i, j): "-0.5" for i in range(2) for j in range(2)}
                         | {(2, j, 0): "-0.6" for j in range(2)} | {(3, 0, 0): "-0.4451"},
                         node_labels={(1, j): "$\\sigma'$ = 0.2494" for j in range(2)})
    assert _overlapping_texts(graph) == []                                                # chapter 03's graph


def test_plot_network_colours_each_labelled_line_and_its_label_alike(pyplot_untouched):
    from matplotlib.colors import same_color
    fig = plot_network([2, 3, 1], edge_labels={(1, i, j): f"w{i}{j}" for i in range(2) for j in range(3)})
    ax = fig.axes[0]
    first, second = ax.lines[:6], ax.lines[6:]                    # layer 1's six lines (labelled), layer 2's three
    labels = {t.get_text(): t for t in ax.texts if t.get_text().startswith("w")}
    for k, line in enumerate(first):
        i, j = divmod(k, 3)
        assert same_color(line.get_color(), labels[f"w{i}{j}"].get_color())
    assert not same_color(first[0].get_color(), first[3].get_color())     # lines from different units differ
    assert all(same_color(line.get_color(), "0.6") for line in second)      # an unlabelled layer stays grey


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
    fig = plot_probabilities(p, true_classes=[2], true_color="C2", other_color="0.6")
    ax = fig.axes[0]
    assert ax.patches[2].get_facecolor() == pytest.approx(matplotlib.colors.to_rgba("C2"))
    assert ax.patches[0].get_facecolor() == pytest.approx(matplotlib.colors.to_rgba("0.6"))
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["true class", "other classes"]
    assert not plot_probabilities(p).legends


def test_plot_probabilities_marks_a_true_class_too_low_to_see(pyplot_untouched):
    ax = plot_probabilities(np.array([[0.001, 0.9, 0.099]]), true_classes=[0], true_color="C2").axes[0]
    assert [t.get_text() for t in ax.texts] == ["<0.01"]
    tick = ax.get_xticklabels()[0]
    assert tick.get_fontweight() == "bold" and tick.get_color() == "C2"


def test_plot_layer_histograms_one_panel_per_layer_and_row_per_network(pyplot_untouched):
    rng = np.random.default_rng(0)
    layers = [rng.standard_normal((50, 8)) * scale for scale in (1.0, 2.0, 4.0)]
    fig = plot_layer_histograms(layers)
    assert len(fig.axes) == 3 and fig.axes[2].get_title().startswith("layer 3\nstd")
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
    high = f"{layers[1].max():.2g}".split("e+")   # two digits, the power of ten in mathtext
    assert len(labels) == 2 and labels[1] == rf"${high[0]}{{\times}}10^{{{int(high[1])}}}$"


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


def test_format_seconds_picks_a_readable_unit():
    assert [format_seconds(t) for t in (6.1e-5, 0.022, 1.7, 340.0, 0.00012, 9.97e-5, 0.0098)] == [
        "61 µs", "22 ms", "1.7 s", "340 s", "120 µs", "100 µs", "9.8 ms"]


def test_plot_times_is_a_dot_plot_with_the_times_written_beside(pyplot_untouched):
    times = {"fast": 6e-5, "slow": 0.022, "slowest": 1.7}
    fig = plot_times(times, reference="fast", colors={"fast": "tab:green"})
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and not ax.patches                       # no bars
    rows = sorted(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels())), reverse=True)
    assert [name for _, name in rows] == ["fast", "slow", "slowest"]            # listed top to bottom
    assert [t.get_text() for t in ax.texts] == ["60 µs", "22 ms = 367× fast", "1.7 s = 28,333× fast"]
    low, high = ax.get_xlim()
    assert low <= 6e-5 and high >= 1.7 and np.log10(low).is_integer() and np.log10(high).is_integer()
    assert ax.collections[0].get_facecolor()[0] == pytest.approx(matplotlib.colors.to_rgba("tab:green"))
    with pytest.raises(ValueError, match="reference must be one of the names in times"):
        plot_times(times, reference="medium")
    with pytest.raises(ValueError, match="must be positive"):
        plot_times({"instant": 0.0})


def test_show_weights(pyplot_untouched):
    W = np.random.default_rng(0).standard_normal((784, 30))
    fig = show_weights(W, n=10, ncols=5)
    assert isinstance(fig, Figure) and len(fig.axes) == 10
    assert fig.axes[9].get_title() == "unit 9"
    with pytest.raises(ValueError, match=r"expects first-layer weights of shape \(784, n_hidden\), got \(30, 784\)"):
        show_weights(W.T)


def test_show_weights_of_chosen_units(pyplot_untouched):
    W = np.random.default_rng(0).standard_normal((784, 30))
    fig = show_weights(W, units=[29, 3, 7], ncols=8)
    assert [ax.get_title() for ax in fig.axes] == ["unit 29", "unit 3", "unit 7"]
    shown = fig.axes[0].images[0].get_array()
    assert np.allclose(shown, W[:, 29].reshape(28, 28))
    for bad in ([], [30], [-1]):
        with pytest.raises(ValueError, match="units must be a non-empty list of column indices in 0..29"):
            show_weights(W, units=bad)


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
