"""ConvNet: convolutions in front of a Network, through the same training, checking and analysis code."""
import numpy as np
import pytest

from nnlib import Adam, Network, to_one_hot, train
from nnlib.analysis import saliency
from nnlib import convnet as convnet_module
from nnlib.convnet import (Activation, Conv2D, ConvNet, MaxPool2D, features_spec, layer_from_config,
                           parse_features, work_per_example)
from nnlib.convolution import conv2d_forward
from nnlib.gradcheck import check_network_gradients, numerical_gradient, rel_error


def small_convnet(**options):
    net = ConvNet([Conv2D(3, 3, padding=1), Activation("tanh"), MaxPool2D(2), Conv2D(4, 3), Activation("tanh")],
                  [7, 5], input_shape=(2, 8, 8), activation="tanh", seed=1, **options)
    rng = np.random.default_rng(0)
    for layer in net.features:
        if layer.kind == "conv":
            layer.b[...] = 0.1 * rng.standard_normal(layer.b.shape)   # nonzero biases, as a trained net has
    return net


def batch(m=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, 2 * 8 * 8)), to_one_hot(rng.integers(0, 5, m), 5)


@pytest.mark.parametrize("options", [{}, {"weight_decay": 0.01}])
def test_every_gradient_of_the_whole_model_matches_numerical_ones(options):
    X, Y = batch()
    errors = check_network_gradients(small_convnet(**options), X, Y)
    assert list(errors) == ["conv1.K", "conv1.b", "conv2.K", "conv2.b", "head.W0", "head.b0", "head.W1", "head.b1"]
    assert max(errors.values()) < 1e-7, errors


def test_shapes_sizes_and_parameter_count_by_hand():
    net = ConvNet([Conv2D(32, 5, padding=2), Activation(), MaxPool2D(2), Conv2D(64, 5, padding=2), Activation(),
                   MaxPool2D(2)], [128, 10], dtype=np.float32)
    assert net.feature_shape == (64, 7, 7) and net.sizes == [784, 128, 10]
    assert net.head.sizes == [64 * 7 * 7, 128, 10]
    expected = (32 * 25 + 32) + (64 * 32 * 25 + 64) + (3136 * 128 + 128) + (128 * 10 + 10)
    assert net.n_parameters() == expected
    assert all(p.dtype == np.float32 for p in net.parameters())
    X = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    proba = net.predict_proba(X)
    assert proba.shape == (3, 10) and proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)


def bars(m, seed):
    """8x8 images of one bar: class 0 horizontal, class 1 vertical, anywhere in the image."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, m)
    X = np.zeros((m, 8, 8))
    where = rng.integers(0, 8, m)
    for i in range(m):
        if y[i] == 0:
            X[i, where[i], :] = 1
        else:
            X[i, :, where[i]] = 1
    return X.reshape(m, 64) + 0.1 * rng.standard_normal((m, 64)), y


def test_train_evaluates_and_improves_a_convnet_through_the_same_loop():
    X, y = bars(300, 0)
    X_val, y_val = bars(200, 1)
    net = ConvNet([Conv2D(4, 3, padding=1), Activation(), MaxPool2D(2)], [10, 2], input_shape=(1, 8, 8), seed=0)
    before = np.mean(net.predict(X_val) == y_val)
    history = train(net, X, y, optimizer=Adam(1e-2), epochs=5, batch_size=32, validation_data=(X_val, y_val),
                    patience=3, progress=False)
    assert before < 0.8 and max(history.val_accuracy) > 0.97, (before, history.val_accuracy)
    assert np.mean(net.predict(X_val) == y_val) == max(history.val_accuracy)


def test_saliency_flows_through_the_convolutions():
    net = small_convnet()
    X, _ = batch(2)
    classes = np.array([1, 3])
    analytic = saliency(net, X, classes)
    picked = lambda: float(sum(net.forward(X)[1][1][-1][1][i, c] for i, c in enumerate(classes)))  # logits
    assert rel_error(analytic, numerical_gradient(picked, X)) < 1e-7


def test_feature_maps_are_each_layers_output_in_evaluation_mode():
    net = small_convnet(dropout=0.5)
    X, _ = batch(3)
    maps = net.feature_maps(X)
    assert [a.shape for a in maps] == [(3, 3, 8, 8), (3, 3, 8, 8), (3, 3, 4, 4), (3, 4, 2, 2), (3, 4, 2, 2)]
    conv = net.features[0]
    first, _ = conv2d_forward(X.reshape(3, 2, 8, 8), conv.K, conv.b, padding=1)
    np.testing.assert_allclose(maps[0], first)
    np.testing.assert_allclose(maps[1], np.tanh(first))
    np.testing.assert_allclose(net.head.forward(maps[-1].reshape(3, -1))[0], net.forward(X)[0])
    with pytest.raises(ValueError, match="first layer expects 128"):
        net.feature_maps(np.zeros((1, 784)))


def test_dropout_acts_on_the_head_only_in_training():
    net = small_convnet(dropout=0.5)
    X, _ = batch(6)
    np.testing.assert_array_equal(net.forward(X)[0], net.forward(X)[0])
    assert not np.allclose(net.forward(X, training=True)[0], net.forward(X)[0])


def test_layer_configs_round_trip():
    for layer in (Conv2D(8, 3, stride=2, padding=1), Activation("sigmoid"), MaxPool2D(3, stride=2)):
        assert layer_from_config(layer.config()).config() == layer.config()
    with pytest.raises(ValueError, match="unknown layer kind 'dense'"):
        layer_from_config({"kind": "dense"})


@pytest.mark.parametrize("make, message", [
    (lambda: Conv2D(0, 5), "filters must be a whole number >= 1, got 0"),
    (lambda: Conv2D(8, 2.5), "filter size must be a whole number >= 1, got 2.5"),
    (lambda: Conv2D(8, 3, stride=True), "stride must be a whole number >= 1, got True"),
    (lambda: Conv2D(8, 3, padding=-1), "padding must be a whole number >= 0, got -1"),
    (lambda: Activation("softmax"), "unknown activation 'softmax'"),
    (lambda: MaxPool2D(0), "pooling size must be a whole number >= 1, got 0"),
    (lambda: MaxPool2D(2, stride="2"), "pooling stride must be a whole number >= 1, got '2'"),
    (lambda: layer_from_config({"kind": "conv", "filters": 8, "size": 3, "dilation": 2}),
     "a conv layer takes filters, size, stride, padding; got the unknown setting 'dilation'"),
    (lambda: layer_from_config(["conv", 8, 3]), "a layer is described by a dict"),
    (lambda: ConvNet([Conv2D(4, 9)], [10], input_shape=(1, 8, 8)), "a window of 9 does not fit an input of 8"),
])
def test_bad_layers_say_what_is_wrong(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_layer_shapes_come_from_the_formula_without_computing():
    assert Conv2D(16, 5, padding=2).output_shape((1, 28, 28)) == (16, 28, 28)
    assert Conv2D(4, 3, stride=2).output_shape((3, 9, 8)) == (4, 4, 3)
    assert MaxPool2D(2).output_shape((16, 7, 9)) == (16, 3, 4)
    assert Activation("tanh").output_shape((2, 5, 5)) == (2, 5, 5)


def test_bad_inputs_get_the_networks_messages():
    net = small_convnet()
    with pytest.raises(ValueError, match="X has 784 features per row but the first layer expects 128"):
        net.predict(np.zeros((2, 784)))
    with pytest.raises(ValueError, match=r"input_shape must be \(channels, height, width\)"):
        ConvNet([], [10], input_shape=(28, 28))


def test_a_convnet_without_feature_layers_is_its_head():
    net = ConvNet([], [6, 3], input_shape=(1, 2, 2), seed=5)
    plain = Network([4, 6, 3], activation="relu", init="he", seed=net.head.seed)
    X = np.random.default_rng(0).standard_normal((5, 4))
    np.testing.assert_allclose(net.predict_proba(X), plain.predict_proba(X))


def test_feature_specs_read_and_write_the_same_layers():
    layers = parse_features("conv16x5p2, relu,pool2,conv32x3s2p1,tanh,pool3s2")
    assert [layer.config() for layer in layers] == [
        Conv2D(16, 5, padding=2).config(), Activation("relu").config(), MaxPool2D(2).config(),
        Conv2D(32, 3, stride=2, padding=1).config(), Activation("tanh").config(), MaxPool2D(3, stride=2).config()]
    assert features_spec(layers) == "conv16x5p2,relu,pool2,conv32x3s2p1,tanh,pool3s2"
    assert features_spec(parse_features(features_spec(layers))) == features_spec(layers)


@pytest.mark.parametrize("spec, message", [
    ("", "feature layers must be a text such as 'conv16x5p2,relu,pool2'"),
    ("conv16,relu", "cannot read the feature layer 'conv16': write convFxK"),
    ("conv16x5,softmax", "cannot read the feature layer 'softmax'"),
    ("conv0x5", "filters must be a whole number >= 1, got 0"),
    ("pool0", "pooling size must be a whole number >= 1, got 0"),
])
def test_bad_feature_specs_say_what_to_write(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_features(spec)


def test_prediction_chunks_shrink_to_keep_the_largest_layer_within_the_budget(monkeypatch):
    net = small_convnet()
    per_example = work_per_example(net.features, net.input_shape)
    assert per_example == net.values_per_example == (2 * 9 + 3) * 64   # conv1: im2col columns and 3 maps of 8x8
    X, _ = batch(10)
    expected = np.concatenate([net.forward(X[i:i + 1])[0] for i in range(10)])
    sizes = []
    original = net.forward
    monkeypatch.setattr(net, "forward", lambda X, training=False: (sizes.append(len(X)), original(X, training))[1])
    monkeypatch.setattr(convnet_module, "PREDICT_BUDGET", 3 * per_example)
    np.testing.assert_allclose(net.predict_proba(X), expected)
    assert sizes == [3, 3, 3, 1]
