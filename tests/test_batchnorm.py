"""Batch normalization: the forward pass by hand, running averages, and the backward pass against
numerical gradients and against a step-by-step pass through the computational graph."""
import numpy as np
import pytest

from nnlib.gradcheck import numerical_gradient, rel_error
from nnlib.layers import BatchNormState, batchnorm_backward, batchnorm_forward


def test_forward_by_hand():
    Z = np.array([[1.0, 2.0], [3.0, 6.0]])          # column means 2 and 4, variances 1 and 4
    state = BatchNormState(2, eps=1e-12)
    out, _ = batchnorm_forward(Z, np.array([2.0, 1.0]), np.array([0.5, 0.0]), state, training=True)
    np.testing.assert_allclose(out, [[2 * -1 + 0.5, -1.0], [2 * 1 + 0.5, 1.0]], rtol=1e-9)
    np.testing.assert_allclose(state.mean, [0.1 * 2, 0.1 * 4])            # 0.9 * 0 + 0.1 * batch mean
    np.testing.assert_allclose(state.var, [0.9 + 0.1 * 1, 0.9 + 0.1 * 4])  # starts at 1


def test_training_output_has_the_learned_mean_and_spread():
    rng = np.random.default_rng(0)
    Z = 5 + 3 * rng.standard_normal((500, 4))
    gamma, beta = np.array([1.0, 2.0, 0.5, 3.0]), np.array([0.0, -1.0, 4.0, 0.2])
    out, _ = batchnorm_forward(Z, gamma, beta, BatchNormState(4), training=True)
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), gamma, rtol=1e-5)


def test_evaluation_uses_the_running_averages_and_changes_nothing():
    state = BatchNormState(3, eps=1e-12)
    state.mean[...], state.var[...] = [1.0, 2.0, 3.0], [4.0, 1.0, 0.25]
    Z = np.array([[1.0, 2.0, 3.0], [3.0, 3.0, 3.5]])
    out, _ = batchnorm_forward(Z, np.ones(3), np.zeros(3), state, training=False)
    np.testing.assert_allclose(out, [[0, 0, 0], [1.0, 1.0, 1.0]], atol=1e-5)
    np.testing.assert_array_equal(state.mean, [1.0, 2.0, 3.0])
    single, _ = batchnorm_forward(Z[:1], np.ones(3), np.zeros(3), state, training=False)  # m = 1 is fine here
    np.testing.assert_allclose(single, out[:1])


def test_running_averages_converge_to_the_data_statistics():
    rng = np.random.default_rng(1)
    state = BatchNormState(2, momentum=0.9)
    for _ in range(200):
        batchnorm_forward(np.array([10.0, -3.0]) + np.array([2.0, 0.5]) * rng.standard_normal((64, 2)),
                          np.ones(2), np.zeros(2), state, training=True)
    np.testing.assert_allclose(state.mean, [10.0, -3.0], atol=0.3)
    np.testing.assert_allclose(state.var, [4.0, 0.25], rtol=0.15)


def graph_backward(dout, Z, gamma, eps):
    """The backward pass taken one node of the computational graph at a time (the oracle)."""
    m = len(Z)
    mu = Z.mean(axis=0)
    centred = Z - mu
    var = (centred ** 2).mean(axis=0)
    std = np.sqrt(var + eps)
    inv_std = 1 / std
    Z_hat = centred * inv_std
    dgamma, dbeta = (dout * Z_hat).sum(axis=0), dout.sum(axis=0)
    dZ_hat = dout * gamma
    dinv_std = (dZ_hat * centred).sum(axis=0)
    dcentred = dZ_hat * inv_std
    dstd = -dinv_std / std ** 2
    dvar = dstd * 0.5 / std
    dcentred += 2 * centred * dvar / m
    dmu = -dcentred.sum(axis=0)
    return dcentred + dmu / m, dgamma, dbeta


@pytest.mark.parametrize("training", [True, False])
def test_backward_matches_numerical_gradients_below_1e_7(training):
    rng = np.random.default_rng(2)
    Z, G = 2 + 3 * rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    gamma, beta = 1 + 0.5 * rng.standard_normal(5), rng.standard_normal(5)
    state = BatchNormState(5)
    state.mean[...], state.var[...] = rng.standard_normal(5), 1 + rng.random(5)

    def loss():  # sum(G * out): its gradient with respect to out is G
        return float(np.sum(G * batchnorm_forward(Z, gamma, beta, state, training)[0]))

    dZ, dgamma, dbeta = batchnorm_backward(G, batchnorm_forward(Z, gamma, beta, state, training)[1])
    for analytic, param in ((dZ, Z), (dgamma, gamma), (dbeta, beta)):
        assert analytic.shape == param.shape
        assert rel_error(analytic, numerical_gradient(loss, param)) < 1e-7


def test_closed_form_equals_the_step_by_step_graph():
    rng = np.random.default_rng(3)
    Z, G, gamma = rng.standard_normal((8, 3)) * 4 - 1, rng.standard_normal((8, 3)), rng.random(3) + 0.5
    state = BatchNormState(3)
    closed = batchnorm_backward(G, batchnorm_forward(Z, gamma, np.zeros(3), state, True)[1])
    for ours, oracle in zip(closed, graph_backward(G, Z, gamma, state.eps)):
        np.testing.assert_allclose(ours, oracle, rtol=1e-10, atol=1e-12)


def test_gradient_of_z_sums_to_zero_over_the_batch_in_training():
    # Shifting every example of a unit by the same amount does not change Z_hat, so dZ sums to 0 per column.
    rng = np.random.default_rng(4)
    Z, G = rng.standard_normal((10, 4)), rng.standard_normal((10, 4))
    dZ, _, _ = batchnorm_backward(G, batchnorm_forward(Z, np.ones(4), np.zeros(4), BatchNormState(4), True)[1])
    np.testing.assert_allclose(dZ.sum(axis=0), 0, atol=1e-12)


def test_float32_stays_float32():
    Z = np.random.default_rng(5).standard_normal((4, 3)).astype(np.float32)
    state = BatchNormState(3, dtype=np.float32)
    out, cache = batchnorm_forward(Z, np.ones(3, np.float32), np.zeros(3, np.float32), state, True)
    dZ, dgamma, dbeta = batchnorm_backward(np.ones_like(out), cache)
    assert {a.dtype for a in (out, dZ, dgamma, dbeta, state.mean, state.var)} == {np.dtype(np.float32)}


def test_a_batch_of_one_in_training_mode_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="at least 2 examples per batch.*Z - mean is 0"):
        batchnorm_forward(np.ones((1, 3)), np.ones(3), np.zeros(3), BatchNormState(3), training=True)


@pytest.mark.parametrize("kwargs, message", [({"momentum": 1.0}, "momentum must be in"),
                                             ({"momentum": -0.1}, "momentum must be in"),
                                             ({"eps": 0.0}, "eps must be > 0")])
def test_bad_state_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BatchNormState(3, **kwargs)
