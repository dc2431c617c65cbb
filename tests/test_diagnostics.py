"""Training diagnostics: layer statistics, the update-to-weight ratio recorder, the learning-rate range test."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlib import SGD, Adam, Network, cosine_decay, to_one_hot, train
from nnlib.diagnostics import (UpdateRatioRecorder, layer_statistics, lr_range_test, plot_activation_histograms,
                               plot_gradient_histograms, plot_lr_range, plot_update_ratios)


def blobs(m=400, seed=0, noise=0.5):
    """Two features, three classes around three centres: a problem any small network learns (with
    noise=1.0 they overlap, so that no rate drives the loss to 0 and too large a rate shows)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, m)
    centres = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    return centres[y] + noise * rng.standard_normal((m, 2)), y


def test_saturated_sigmoid_units_are_counted():
    net = Network([2, 5, 3], activation="sigmoid")
    net.weights[0][...] = 100.0                      # |z| is huge for any input away from the line x1 = -x2
    X = np.array([[1.0, 1.0], [-1.0, -2.0]])
    (layer,) = layer_statistics(net, X)
    assert layer.layer == 1 and layer.activations.shape == (2, 5)
    assert layer.saturated == 1.0 and layer.dead == 0.0
    net.weights[0][...] = 0.0
    assert layer_statistics(net, X)[0].saturated == 0.0  # sigma(0) = 0.5 is the middle of the range


def test_dead_relu_units_are_counted_per_unit():
    net = Network([2, 4, 4, 3], activation="relu", init="he")
    net.biases[0][:2] = -1e3                          # units 0 and 1 of layer 1 never fire
    stats = layer_statistics(net, blobs()[0])
    assert [s.layer for s in stats] == [1, 2]
    assert stats[0].dead == 0.5 and stats[0].saturated == 0.0


def test_gradients_are_the_networks_own_weight_gradients():
    X, y = blobs(50)
    net = Network([2, 6, 5, 3], activation="tanh")
    stats = layer_statistics(net, X, y)
    _, grads = net.loss_and_gradients(X, to_one_hot(y, 3), training=False)
    for layer, dW in zip(stats, grads[::2]):
        np.testing.assert_array_equal(layer.weight_gradient, dW)
    assert layer_statistics(net, X)[0].weight_gradient is None


def test_histogram_figures_have_one_panel_per_layer_and_need_gradients():
    X, y = blobs(50)
    net = Network([2, 6, 5, 4, 3], activation="sigmoid")
    stats = layer_statistics(net, X, y)
    assert isinstance(plot_activation_histograms(stats), Figure)
    assert len(plot_activation_histograms(stats).axes) == 3
    assert len(plot_gradient_histograms(stats).axes) == 3
    with pytest.raises(ValueError, match="no gradients.*with the targets y"):
        plot_gradient_histograms(layer_statistics(net, X))


def test_every_histogram_panel_has_its_own_scales_so_that_tiny_gradients_still_show():
    X, y = blobs(50)
    net = Network([2, 6, 5, 4, 3], activation="sigmoid")
    stats = layer_statistics(net, X, y)
    stats[0].weight_gradient[...] *= 1e-6             # a layer whose gradients are a million times smaller
    for fig in (plot_gradient_histograms(stats), plot_activation_histograms(stats)):
        first, second = fig.axes[:2]
        assert not first.get_shared_y_axes().joined(first, second)
        assert not first.get_shared_x_axes().joined(first, second)
    fig = plot_gradient_histograms(stats, color="tab:green")
    tallest = [max(patch.get_height() for patch in ax.patches) for ax in fig.axes]
    for ax, height in zip(fig.axes, tallest):          # each panel's count axis fits its own histogram
        assert 0.5 * ax.get_ylim()[1] < height <= ax.get_ylim()[1]
        assert ax.patches[0].get_facecolor()[:3] == pytest.approx((0.17254902, 0.62745098, 0.17254902))
    assert [ax.get_xlabel() for ax in fig.axes] == [rf"$\partial C/\partial W^{{({l})}}$" for l in (1, 2, 3)]
    assert fig.axes[0].get_title().endswith(f"std {stats[0].weight_gradient.std():.1e}")
    activations = plot_activation_histograms(stats)
    assert [ax.get_title() for ax in activations.axes] == [
        f"layer {layer.layer}\nsaturated {layer.saturated:.0%}, dead {layer.dead:.0%}" for layer in stats]


def test_update_ratio_plot_has_one_colour_per_layer_mathtext_labels_and_its_legend_outside():
    X, y = blobs()
    net = Network([2] + [4] * 11 + [3], seed=0)         # 12 weight matrices, more than a colour cycle holds
    recorder = UpdateRatioRecorder(SGD(0.1), every=2)
    train(net, X, y, optimizer=recorder, epochs=1, batch_size=32, progress=False)
    fig = plot_update_ratios(recorder, cmap="Blues")
    ax = fig.axes[0]
    *layers, guide = ax.lines
    assert [line.get_label() for line in layers] == [rf"$W^{{({l})}}$" for l in range(1, 13)]
    assert len({tuple(line.get_color()) for line in layers}) == 12
    assert guide.get_label() == r"$10^{-3}$, rule of thumb" and list(guide.get_ydata()) == [1e-3, 1e-3]
    assert "^(" not in " ".join(line.get_label() for line in ax.lines) and "$" in ax.get_ylabel()
    fig.canvas.draw()
    legend, axes_box = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert legend.x0 >= axes_box.x1                     # right of the axes: it covers no data


def test_update_ratio_of_an_sgd_step_is_lr_times_gradient_norm_over_weight_norm():
    net = Network([2, 3, 3])
    params = net.parameters()
    grads = [np.ones_like(p) for p in params]
    before = [W.copy() for W in net.weights]
    recorder = UpdateRatioRecorder(SGD(0.01))
    recorder.step(params, grads)
    expected = [0.01 * np.linalg.norm(np.ones_like(W)) / np.linalg.norm(W) for W in before]
    np.testing.assert_allclose(recorder.ratios[0], expected, rtol=1e-12)


def test_the_recorder_changes_nothing_about_training_and_passes_the_schedule_through():
    X, y = blobs()
    plain, wrapped = Network([2, 8, 3], seed=1), Network([2, 8, 3], seed=1)
    schedule = cosine_decay(1e-2, 3)
    train(plain, X, y, optimizer=Adam(1e-2), epochs=3, batch_size=32, schedule=schedule, progress=False)
    recorder = UpdateRatioRecorder(Adam(1e-2), every=5)
    history = train(wrapped, X, y, optimizer=recorder, epochs=3, batch_size=32, schedule=schedule, progress=False)
    for a, b in zip(plain.parameters(), wrapped.parameters()):
        np.testing.assert_array_equal(a, b)
    assert history.lr == [schedule(e) for e in range(3)]
    steps = 3 * 13                                    # 400 examples in batches of 32
    assert recorder.steps == steps and recorder.ratios.shape == (len(range(0, steps, 5)), 2)
    assert np.all(recorder.ratios > 0)
    assert isinstance(plot_update_ratios(recorder), Figure)


def test_recorder_rejects_bad_every_and_an_empty_plot():
    with pytest.raises(ValueError, match="every must be a whole number >= 1"):
        UpdateRatioRecorder(SGD(0.1), every=0)
    with pytest.raises(ValueError, match="nothing recorded yet"):
        plot_update_ratios(UpdateRatioRecorder(SGD(0.1)))


def test_lr_range_test_leaves_the_network_as_it_was_and_grows_the_rate_geometrically():
    X, y = blobs(noise=1.0)
    net = Network([2, 16, 3], activation="relu", init="he")
    saved = [p.copy() for p in net.parameters()]
    result = lr_range_test(net, X, y, lr_min=1e-4, lr_max=1e3, steps=60, batch_size=32)
    for p, q in zip(net.parameters(), saved):
        np.testing.assert_array_equal(p, q)
    ratios = result.lrs[1:] / result.lrs[:-1]
    np.testing.assert_allclose(ratios, (1e3 / 1e-4) ** (1 / 59), rtol=1e-12)
    assert len(result.lrs) < 60, "a rate of 1000 must blow the loss up and stop the test early"
    assert result.lrs[0] <= result.suggested_lr * 10 <= result.lrs[-1]
    fig = plot_lr_range(result)
    assert isinstance(fig, Figure)
    fig.canvas.draw()
    ax = fig.axes[0]
    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1   # the legend covers no data


def test_the_suggested_rate_trains_far_better_than_the_smallest_one():
    X, y = blobs(noise=1.0)
    net, slow = Network([2, 16, 3], activation="relu", init="he"), Network([2, 16, 3], activation="relu", init="he")
    result = lr_range_test(net, X, y, optimizer=SGD, lr_min=1e-4, lr_max=1e2, steps=80, batch_size=32)
    assert 1e-2 < result.suggested_lr < 10
    history = train(net, X, y, optimizer=SGD(result.suggested_lr), epochs=5, batch_size=32, progress=False)
    slow_history = train(slow, X, y, optimizer=SGD(1e-4), epochs=5, batch_size=32, progress=False)
    assert history.train_accuracy[-1] > 0.9 > slow_history.train_accuracy[-1] + 0.1


@pytest.mark.parametrize("kwargs, message", [({"lr_min": 0}, "need 0 < lr_min < lr_max"),
                                             ({"lr_min": 1.0, "lr_max": 0.1}, "need 0 < lr_min < lr_max"),
                                             ({"steps": 1}, "steps must be a whole number >= 2")])
def test_lr_range_test_names_bad_arguments(kwargs, message):
    X, y = blobs(20)
    with pytest.raises(ValueError, match=message):
        lr_range_test(Network([2, 4, 3]), X, y, **kwargs)
