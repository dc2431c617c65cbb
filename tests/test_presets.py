"""Presets and configurations: every preset builds a valid network, optimizer and schedule without training."""
import numpy as np
import pytest

from nnlib import Adam, Network, SGD
from nnlib.convnet import ConvNet
from nnlib.presets import (PRESETS, Config, build_network, build_optimizer, build_schedule, fold_input_scaling,
                           get_preset, prepare_inputs, prepare_targets, with_overrides)

EXPECTED = {  # name: (layers, activation, loss, optimizer class, lr, batch size, epochs)
    "nielsen-30": ((784, 30, 10), "sigmoid", "quadratic", SGD, 3.0, 10, 30),
    "nielsen-70": ((784, 70, 10), "sigmoid", "quadratic", SGD, 3.0, 10, 30),
    "nielsen-100": ((784, 100, 10), "sigmoid", "quadratic", SGD, 3.0, 10, 30),
    "rashid": ((784, 100, 10), "sigmoid", "quadratic", SGD, 0.1, 1, 5),
    "kaggle-10": ((784, 10, 10), "relu", "cross_entropy", SGD, 0.1, "full", 500),
    "fullbatch-128-64": ((784, 128, 64, 10), "relu", "cross_entropy", SGD, 0.1, "full", 500),
    "adam-128-64": ((784, 128, 64, 10), "relu", "cross_entropy", Adam, 1e-3, 128, 20),
}


def test_the_expected_presets_exist():
    assert set(EXPECTED) | {"best", "cnn"} == set(PRESETS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_preset_builds_the_network_it_describes(name):
    layers, activation, loss, optimizer_class, lr, batch_size, epochs = EXPECTED[name]
    config = get_preset(name).config
    net, optimizer = build_network(config), build_optimizer(config)
    assert isinstance(net, Network) and net.sizes == list(layers)
    assert (net.activation, net.loss) == (activation, loss)
    assert [W.shape for W in net.weights] == list(zip(layers[:-1], layers[1:]))
    assert isinstance(optimizer, optimizer_class) and optimizer.lr == lr
    assert (config.batch_size, config.epochs) == (batch_size, epochs)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_a_complete_runnable_configuration(name):
    preset = PRESETS[name]
    config = preset.config
    net = build_network(config)
    assert net.sizes[0] == 784 and net.sizes[-1] == 10 and net.dtype == np.dtype(config.dtype)
    schedule = build_schedule(config)
    assert schedule(0) == pytest.approx(config.lr) and schedule(config.epochs - 1) > 0
    X = prepare_inputs(config, np.zeros((2, 784)))
    loss, grads = net.loss_and_gradients(X, prepare_targets(config, np.array([3, 7])))
    assert np.isfinite(loss) and len(grads) == len(net.parameters())
    assert preset.reproduces and preset.source_accuracy and preset.short


def test_nielsen_uses_the_books_initialization_and_mini_batches():
    config = get_preset("nielsen-30").config
    assert (config.init, config.dtype, config.targets) == ("standard_normal", "float64", (0.0, 1.0))


def test_rashid_scales_inputs_and_targets_like_the_book():
    config = get_preset("rashid").config
    X = prepare_inputs(config, np.array([[0.0, 1.0, 0.5]]))
    np.testing.assert_allclose(X, [[0.01, 1.0, 0.505]])          # x/255 * 0.99 + 0.01
    pixels = np.array([[0.0, 1.0, 0.5]])
    assert prepare_inputs(config, pixels, out=pixels) is pixels and pixels[0, 2] == pytest.approx(0.505)
    Y = prepare_targets(config, np.array([2]))
    assert Y.shape == (1, 10) and Y[0, 2] == pytest.approx(0.99) and Y[0, 0] == pytest.approx(0.01)


def test_best_uses_adam_with_a_cosine_schedule_and_dropout():
    config = get_preset("best").config
    assert config.optimizer == "adam" and config.schedule == "cosine" and config.dropout > 0
    schedule = build_schedule(config)
    assert schedule(config.epochs - 1) < schedule(0)


def test_folding_the_input_scaling_leaves_the_function_unchanged():
    config = Config(layers=(784, 20, 10), input_range=(0.01, 1.0), dtype="float64")
    net = build_network(config)
    X = np.random.default_rng(1).random((5, 784))
    before = net.predict_proba(prepare_inputs(config, X))
    fold_input_scaling(net, config.input_range)
    np.testing.assert_allclose(net.predict_proba(X), before, rtol=1e-10, atol=1e-12)


def test_schedules():
    step = build_schedule(Config(lr=1.0, schedule="step", step_every=2, step_drop=0.5))
    assert [step(e) for e in range(5)] == [1.0, 1.0, 0.5, 0.5, 0.25]
    cosine = build_schedule(Config(lr=1.0, schedule="cosine", epochs=4))
    assert cosine(0) == 1.0 and cosine(2) == pytest.approx(0.5)


def test_momentum_and_adam_hyperparameters_reach_the_optimizer():
    momentum = build_optimizer(Config(optimizer="nesterov", lr=0.05, momentum=0.8))
    assert (momentum.beta, momentum.nesterov) == (0.8, True)
    adam = build_optimizer(Config(beta1=0.7, beta2=0.95))
    assert (adam.beta1, adam.beta2) == (0.7, 0.95)


@pytest.mark.parametrize("overrides, fragment", [
    ({"layers": (100, 10)}, "first layer must be 784"),
    ({"layers": (784, 30, 2)}, "last layer must be 10"),
    ({"batch_size": 0}, "batch size"),
    ({"schedule": "linear"}, "unknown schedule"),
    ({"targets": (1.0, 0.0)}, "increasing"),
])
def test_invalid_configurations_are_rejected_with_a_reason(overrides, fragment):
    with pytest.raises(ValueError, match=fragment):
        with_overrides(Config(), **overrides)


def test_unknown_preset_names_the_choices():
    with pytest.raises(ValueError, match="nielsen-30"):
        get_preset("lenet")


def test_the_cnn_preset_is_chapter_11s_network_at_full_size():
    config = get_preset("cnn").config
    net = build_network(config)
    assert isinstance(net, ConvNet) and net.input_shape == (1, 28, 28) and net.feature_shape == (32, 7, 7)
    assert net.head.sizes == [1568, 128, 10] and net.sizes == [784, 128, 10] and net.head.dropout == 0.3
    assert [layer.kind for layer in net.features] == ["conv", "activation", "maxpool"] * 2
    assert (config.validation_size, config.schedule, config.batch_size, config.epochs) == (10000, "cosine", 64, 12)
    assert config.summary().startswith("784-[conv16x5p2,relu,pool2,conv32x5p2,relu,pool2]-128-10 relu/cross_entropy")


def test_a_fully_connected_configuration_reads_as_before_features_existed():
    """Its repr names chapter 07's cached network (nnlib.course.model_path): an empty features stays out of it."""
    assert "features" not in repr(Config()) and repr(Config()).startswith("Config(layers=(784, 128, 64, 10), activ")
    assert "features='conv8x3,relu'" in repr(Config(layers=(784, 10), features="conv8x3,relu"))
    assert Config(layers=(784, 10), features="conv8x3,relu") != Config(layers=(784, 10))


@pytest.mark.parametrize("overrides, fragment", [
    ({"features": "conv16x5,relu,pool2,conv32x5,relu,pool2,conv8x5"},
     "the feature layers do not fit a 28x28 image: at conv8x5 the maps are 4x4: a window of 5 does not fit"),
    ({"features": "conv16x5,softmax"}, "cannot read the feature layer 'softmax'"),
    ({"features": "conv8x3", "input_range": (-1.0, 1.0)}, "use it with the default input range 0,1"),
])
def test_invalid_feature_layers_are_rejected_with_a_reason(overrides, fragment):
    with pytest.raises(ValueError, match=fragment):
        with_overrides(Config(), **overrides)
