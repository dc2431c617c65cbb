"""Dense and dropout forward/backward pairs, and the weight initializers."""
import numpy as np
import pytest

from nnlib import Network, to_one_hot
from nnlib.gradcheck import numerical_gradient, rel_error
from nnlib.initializers import INITIALIZERS, get_initializer
from nnlib.layers import (activation_backward, activation_forward, dense_backward, dense_forward,
                          dropout_backward, dropout_forward)
from nnlib.losses import loss_value


def test_dense_forward_by_hand():
    X = np.array([[1.0, 2.0]])
    W = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 1.0]])
    b = np.array([0.1, 0.2, 0.3])
    Z, cache = dense_forward(X, W, b)
    np.testing.assert_allclose(Z, [[1 + 1 + 0.1, 0 + 4 + 0.2, -1 + 2 + 0.3]], rtol=1e-15)
    assert cache[0] is X and cache[1] is W


def test_dense_backward_matches_numerical_gradients():
    rng = np.random.default_rng(0)
    X, W, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    G = rng.standard_normal((5, 3))          # upstream gradient: the loss is sum(G * Z)

    def loss():
        return float(np.sum(G * dense_forward(X, W, b)[0]))

    dX, dW, db = dense_backward(G, dense_forward(X, W, b)[1])
    assert (dX.shape, dW.shape, db.shape) == (X.shape, W.shape, b.shape)
    for analytic, param in ((dX, X), (dW, W), (db, b)):
        assert rel_error(analytic, numerical_gradient(loss, param)) < 1e-8
    assert dense_backward(G, (X, W), need_dX=False)[0] is None


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "leaky_relu", "identity"])
def test_activation_backward_matches_numerical_gradients(name):
    rng = np.random.default_rng(1)
    Z, G = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    dZ = activation_backward(G, activation_forward(Z, name)[1])
    assert rel_error(dZ, numerical_gradient(lambda: float(np.sum(G * activation_forward(Z, name)[0])), Z)) < 1e-8


# -- dropout ---------------------------------------------------------------------------------

def test_dropout_zeroes_about_p_and_keeps_the_expectation():
    A = np.ones((200, 500))
    out, mask = dropout_forward(A, 0.3, np.random.default_rng(0))
    dropped = np.mean(out == 0)
    assert abs(dropped - 0.3) < 0.01                    # 100 000 units: the standard error is 0.0014
    np.testing.assert_allclose(out[out != 0], 1 / 0.7)  # survivors scaled by 1 / (1 - p)
    assert abs(out.mean() - 1.0) < 0.01                 # inverted dropout: E[out] = A
    np.testing.assert_array_equal(out, A * mask)


def test_dropout_backward_passes_gradient_through_kept_units_only():
    rng = np.random.default_rng(2)
    A, G = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    _, mask = dropout_forward(A, 0.5, np.random.default_rng(3))
    fixed_mask_loss = lambda: float(np.sum(G * A * mask))  # noqa: E731  the same mask for every evaluation
    assert rel_error(dropout_backward(G, mask), numerical_gradient(fixed_mask_loss, A)) < 1e-8


def test_dropout_keeps_float32():
    A = np.ones((3, 4), dtype=np.float32)
    out, mask = dropout_forward(A, 0.5, np.random.default_rng(0))
    assert out.dtype == np.float32 and mask.dtype == np.float32


def dropout_net(p=0.5):
    return Network([4, 6, 6, 3], activation="tanh", dropout=p, seed=0)


def test_evaluation_mode_is_deterministic_and_unscaled():
    X = np.random.default_rng(0).standard_normal((5, 4))
    net, plain = dropout_net(0.5), dropout_net(0.0)     # same seed: same initial weights
    first, second = net.forward(X)[0], net.forward(X)[0]
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, plain.forward(X)[0])
    assert not np.array_equal(net.forward(X, training=True)[0], first)


def test_network_backward_with_dropout_matches_numerical_gradient_for_a_fixed_mask():
    rng = np.random.default_rng(4)
    net = dropout_net(0.5)
    for b in net.biases:
        b[...] = 0.5 * rng.standard_normal(b.shape)
    X, Y = rng.standard_normal((5, 4)), to_one_hot(rng.integers(0, 3, 5), 3)

    def training_loss():
        net.rng = np.random.default_rng(7)              # the same dropout masks at every evaluation
        a, caches = net.forward(X, training=True)
        return loss_value(net.loss, net.output, caches[-1][1], a, Y)

    net.rng = np.random.default_rng(7)
    _, grads = net.loss_and_gradients(X, Y, training=True)
    for grad, param in zip(grads, net.parameters()):
        assert rel_error(grad, numerical_gradient(training_loss, param)) < 1e-7


# -- initializers ----------------------------------------------------------------------------

EXPECTED_VARIANCE = {"standard_normal": lambda n_in, n_out: 1.0, "scaled_normal": lambda n_in, n_out: 1 / n_in,
                     "xavier": lambda n_in, n_out: 2 / (n_in + n_out), "he": lambda n_in, n_out: 2 / n_in}


@pytest.mark.parametrize("name", INITIALIZERS)
def test_initializer_variance_shape_and_dtype(name):
    W = get_initializer(name)(400, 300, np.random.default_rng(0))
    assert W.shape == (400, 300) and W.dtype == np.float64
    # 120 000 samples: the sample variance is within about 0.4 % (one standard error) of the truth
    assert W.var() == pytest.approx(EXPECTED_VARIANCE[name](400, 300), rel=0.03)
    assert abs(W.mean()) < 0.03 * np.sqrt(EXPECTED_VARIANCE[name](400, 300))


@pytest.mark.parametrize("name", INITIALIZERS)
def test_initializer_is_reproducible_by_seed_and_keeps_float32(name):
    init = get_initializer(name)
    first = init(5, 3, np.random.default_rng(42), np.float32)
    assert first.dtype == np.float32
    np.testing.assert_array_equal(first, init(5, 3, np.random.default_rng(42), np.float32))
    assert not np.array_equal(first, init(5, 3, np.random.default_rng(43), np.float32))


def test_unknown_initializer_lists_the_choices():
    with pytest.raises(ValueError, match="unknown initializer 'glorot'; choose one of standard_normal"):
        get_initializer("glorot")
