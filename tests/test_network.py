"""Network: construction, shapes at any depth, batch = sum of examples, weight decay, dtype, input errors."""
import numpy as np
import pytest

from nnlib import Network, to_one_hot


def batch(m=6, n=4, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, n)), to_one_hot(rng.integers(0, k, m), k)


@pytest.mark.parametrize("sizes", [[4, 3], [4, 5, 3], [4, 6, 5, 4, 3]])
def test_shapes_at_any_depth(sizes):
    net = Network(sizes, activation="relu")
    assert net.n_layers == len(sizes) - 1
    assert [W.shape for W in net.weights] == list(zip(sizes[:-1], sizes[1:]))
    assert [b.shape for b in net.biases] == [(n,) for n in sizes[1:]]
    assert net.n_parameters() == sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    X, Y = batch()
    a, caches = net.forward(X)
    assert a.shape == (6, 3) and len(caches) == net.n_layers
    loss, grads = net.loss_and_gradients(X, Y)
    assert [g.shape for g in grads] == [p.shape for p in net.parameters()]
    assert np.isfinite(loss)


def test_forward_by_hand_one_hidden_layer():
    net = Network([2, 2, 1], activation="relu", loss="quadratic", output="identity")
    net.weights[0][...] = [[1.0, -1.0], [2.0, 1.0]]
    net.biases[0][...] = [0.5, 0.0]
    net.weights[1][...] = [[2.0], [3.0]]
    net.biases[1][...] = [-1.0]
    # x = (1, 1): z1 = (1 + 2 + 0.5, -1 + 1) = (3.5, 0) -> relu (3.5, 0) -> 2 * 3.5 + 0 - 1 = 6
    np.testing.assert_allclose(net.forward(np.array([[1.0, 1.0]]))[0], [[6.0]], rtol=1e-15)


@pytest.mark.parametrize("activation, loss", [("sigmoid", "quadratic"), ("relu", "cross_entropy"),
                                              ("tanh", "binary_cross_entropy")])
def test_batch_gradient_is_the_mean_of_per_example_gradients(activation, loss):
    net = Network([4, 5, 5, 3], activation=activation, loss=loss, seed=1)
    X, Y = batch(m=8)
    batch_loss, batch_grads = net.loss_and_gradients(X, Y, training=False)
    per_example = [net.loss_and_gradients(X[i:i + 1], Y[i:i + 1], training=False) for i in range(8)]
    assert batch_loss == pytest.approx(np.mean([loss for loss, _ in per_example]), rel=1e-13)
    for index, grad in enumerate(batch_grads):
        mean_of_examples = np.mean([grads[index] for _, grads in per_example], axis=0)
        np.testing.assert_allclose(grad, mean_of_examples, rtol=1e-12, atol=1e-15)


def test_weight_decay_adds_its_loss_term_and_gradient():
    X, Y = batch()
    plain = Network([4, 5, 3], activation="tanh", seed=2)
    decayed = Network([4, 5, 3], activation="tanh", seed=2, weight_decay=0.3)
    loss, grads = plain.loss_and_gradients(X, Y, training=False)
    loss_wd, grads_wd = decayed.loss_and_gradients(X, Y, training=False)
    penalty = 0.5 * 0.3 * sum(np.sum(W ** 2) for W in plain.weights)      # lambda/2 sum ||W||^2, no biases
    assert loss_wd == pytest.approx(loss + penalty, rel=1e-14)
    assert decayed.compute_loss(X, Y) == pytest.approx(loss + penalty, rel=1e-14)
    for l in range(2):
        np.testing.assert_allclose(grads_wd[2 * l], grads[2 * l] + 0.3 * plain.weights[l], rtol=1e-13)
        np.testing.assert_array_equal(grads_wd[2 * l + 1], grads[2 * l + 1])  # biases are not decayed


def test_float32_stays_float32_through_forward_backward():
    net = Network([4, 5, 3], activation="relu", dtype=np.float32)
    X, Y = batch()
    a, _ = net.forward(X.astype(np.float32))
    for targets in (Y.astype(np.float32), Y):                      # float64 targets must not upcast either
        loss, grads = net.loss_and_gradients(X.astype(np.float32), targets)
        assert a.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    assert net.predict_proba(X).dtype == np.float32              # float64 input is converted, not upcast to


def test_same_seed_same_weights_different_seed_different_weights():
    first, again, other = Network([4, 3], seed=5), Network([4, 3], seed=5), Network([4, 3], seed=6)
    np.testing.assert_array_equal(first.weights[0], again.weights[0])
    assert not np.array_equal(first.weights[0], other.weights[0])
    assert all(np.all(b == 0) for b in first.biases)
    assert "Network(4-3" in repr(first)


@pytest.mark.parametrize("kwargs, message", [
    (dict(sizes=[784]), "sizes needs at least an input and an output layer"),
    (dict(sizes=[784, 0, 10]), "sizes needs at least an input and an output layer of positive sizes"),
    (dict(activation="softplus"), "unknown activation 'softplus'"),
    (dict(loss="hinge"), "unknown loss 'hinge'"),
    (dict(loss="cross_entropy", output="sigmoid"), "cross_entropy expects a softmax output layer"),
    (dict(init="glorot"), "unknown initializer 'glorot'"),
    (dict(dropout=1.0), r"dropout is the probability of dropping a unit and must be in \[0, 1\)"),
    (dict(weight_decay=-0.1), "weight_decay must be >= 0"),
    (dict(dtype=np.int32), "dtype must be float32 or float64")])
def test_bad_settings_are_explained(kwargs, message):
    settings = dict(sizes=[784, 10], **kwargs) if "sizes" not in kwargs else kwargs
    with pytest.raises(ValueError, match=message):
        Network(**settings)


@pytest.mark.parametrize("X, message", [
    (np.zeros(784), r"X is a single example of shape \(784,\); pass a batch of shape \(m, 784\)"),
    (np.zeros((2, 28, 28)), r"images as 2-D arrays\); flatten them to \(m, 784\)"),
    (np.zeros((2, 785)), r"X has 785 features per row but the first layer expects 784 \(did you keep the label"),
    (np.zeros((2, 100)), "X has 100 features per row but the first layer expects 784$"),
    (np.zeros((2, 3, 4)), r"X must be 2-D with shape \(m, 784\), got shape \(2, 3, 4\)"),
    (np.full((2, 784), "a"), "X must hold real numbers, got dtype <U1"),
    (np.full((2, 784), np.nan), r"X contains nan or infinite values \(first at row 0, column 0\)")])
def test_wrong_inputs_get_plain_word_errors(X, message):
    with pytest.raises(ValueError, match=message):
        Network([784, 10]).predict(X)


def test_labels_instead_of_one_hot_targets_are_refused_with_a_hint():
    net = Network([4, 3])
    X, _ = batch(m=3)
    with pytest.raises(ValueError, match=r"Y must have shape \(3, 3\).*got shape \(3,\); turn labels into one-hot"):
        net.loss_and_gradients(X, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"Y must have shape \(3, 3\)"):
        net.compute_loss(X, np.zeros((3, 4)))


def test_logits_are_the_output_pre_activations_computed_by_hand():
    net = Network([4, 5, 3], activation="relu", loss="cross_entropy", seed=1)
    X, _ = batch()
    A1 = np.maximum(0, X @ net.weights[0] + net.biases[0])
    Z2 = A1 @ net.weights[1] + net.biases[1]
    np.testing.assert_allclose(net.logits(X), Z2, rtol=1e-12)
    assert net.logits(X).shape == (6, 3)
    e = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
    np.testing.assert_allclose(net.predict_proba(X), e / e.sum(axis=1, keepdims=True), rtol=1e-12)


def test_hidden_activations_are_each_hidden_layer_by_hand():
    net = Network([4, 5, 2, 3], activation="sigmoid", seed=2)
    X, _ = batch()
    A1 = 1 / (1 + np.exp(-(X @ net.weights[0] + net.biases[0])))
    A2 = 1 / (1 + np.exp(-(A1 @ net.weights[1] + net.biases[1])))
    hidden = net.hidden_activations(X)
    assert [A.shape for A in hidden] == [(6, 5), (6, 2)]
    np.testing.assert_allclose(hidden[0], A1, rtol=1e-12)
    np.testing.assert_allclose(hidden[1], A2, rtol=1e-12)
    assert Network([4, 3]).hidden_activations(X) == []


def test_logits_and_hidden_activations_ignore_dropout_and_check_their_input():
    net = Network([4, 5, 3], activation="relu", dropout=0.5, seed=3)
    X, _ = batch()
    np.testing.assert_array_equal(net.logits(X), net.logits(X))   # no random dropout mask in evaluation
    with pytest.raises(ValueError, match="features per row but the first layer expects 4"):
        net.logits(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="single example"):
        net.hidden_activations(np.zeros(4))


def test_astype_copies_the_network_into_another_dtype():
    net = Network([4, 5, 3], activation="relu", dtype=np.float32, seed=4)
    wide = net.astype(np.float64)
    assert wide.dtype == np.float64 and all(W.dtype == np.float64 for W in wide.parameters())
    assert (wide.sizes, wide.activation, wide.loss, wide.output) == (net.sizes, net.activation, net.loss, net.output)
    X, _ = batch()
    np.testing.assert_allclose(wide.predict_proba(X), net.predict_proba(X), rtol=1e-5)
    wide.weights[0][0, 0] += 1.0                       # a copy: the original is untouched
    assert wide.weights[0][0, 0] != net.weights[0][0, 0]


def test_forward_keeps_one_named_cache_per_layer():
    from nnlib.network import LayerCache
    rng = np.random.default_rng(0)
    net = Network([3, 4, 2], activation="tanh", dropout=0.5, batch_norm=True, seed=0)
    X = rng.standard_normal((5, 3))
    _, caches = net.forward(X, training=True)
    assert len(caches) == 2 and all(isinstance(cache, LayerCache) for cache in caches)
    np.testing.assert_array_equal(caches[0].dense[0], X)                      # (A^(0), W^(1))
    assert caches[0].dense[1] is net.weights[0]
    assert caches[0].dropout_mask is not None and caches[0].batch_norm is not None
    assert caches[1].dropout_mask is None and caches[1].batch_norm is None     # the output layer: neither
    np.testing.assert_allclose(net.logits(X), net.forward(X)[1][-1].activation)  # the output keeps Z^(L)
