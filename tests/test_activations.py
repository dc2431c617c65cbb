"""Activations and their derivatives: values, stability at large |z|, and derivatives vs finite differences."""
import numpy as np
import pytest

from nnlib import activations as act

ELEMENTWISE = [("sigmoid", act.sigmoid, act.sigmoid_prime), ("tanh", act.tanh, act.tanh_prime),
               ("relu", act.relu, act.relu_prime), ("leaky_relu", act.leaky_relu, act.leaky_relu_prime),
               ("identity", act.identity, act.identity_prime)]


def centred_difference(f, z, h=1e-6):
    return (f(z + h) - f(z - h)) / (2 * h)


def away_from_zero(shape, seed=0):
    """Random z with |z| >= 0.1, so ReLU's kink at 0 is never within h of a sample."""
    z = np.random.default_rng(seed).uniform(-4, 4, shape)
    return np.where(np.abs(z) < 0.1, 0.5, z)


def test_known_values():
    assert act.sigmoid(np.array(0.0)) == 0.5
    assert act.sigmoid(np.array(np.log(3.0))) == pytest.approx(0.75, rel=1e-15)   # 1 / (1 + 1/3)
    assert act.tanh(np.array(np.log(2.0))) == pytest.approx(0.6, rel=1e-15)       # (2 - 1/2) / (2 + 1/2)
    np.testing.assert_array_equal(act.relu(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(act.leaky_relu(np.array([-2.0, 0.0, 3.0])), [-0.02, 0.0, 3.0])
    np.testing.assert_array_equal(act.leaky_relu(np.array([-2.0]), alpha=0.2), [-0.4])


def test_sigmoid_is_exact_and_silent_for_large_inputs():
    z = np.array([-1000.0, -50.0, 50.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        s = act.sigmoid(z)
        ds = act.sigmoid_prime(z)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(ds))
    np.testing.assert_array_equal(s[[0, 3]], [0.0, 1.0])
    assert s[2] == 1.0 and s[1] < 1e-20
    np.testing.assert_array_equal(ds[[0, 3]], [0.0, 0.0])


@pytest.mark.parametrize("name, f, f_prime", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_derivative_matches_finite_differences(name, f, f_prime):
    z = away_from_zero((50,))
    np.testing.assert_allclose(f_prime(z), centred_difference(f, z), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name, f, f_prime", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_derivative_given_output_equals_the_prime_function(name, f, f_prime):
    z = away_from_zero((4, 6), seed=1)
    np.testing.assert_allclose(act.derivative_given_output(name, z, f(z)) * np.ones_like(z), f_prime(z),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name, f, f_prime", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_shape_and_dtype_are_kept(name, f, f_prime):
    z = away_from_zero((3, 5)).astype(np.float32)
    for out in (f(z), f_prime(z)):
        assert out.shape == (3, 5) and out.dtype == np.float32


def test_relu_kink_convention_is_zero_and_leaky_slope_is_alpha():
    zero = np.array([0.0])
    assert act.relu_prime(zero)[0] == 0.0
    assert act.derivative_given_output("relu", zero, act.relu(zero))[0] == 0.0   # the backward pass agrees
    assert act.derivative_given_output("leaky_relu", zero, act.leaky_relu(zero))[0] == 0.01
    np.testing.assert_array_equal(act.leaky_relu_prime(np.array([-3.0, 0.0, 2.0])), [0.01, 0.01, 1.0])


def test_softmax_rows_are_probabilities():
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    a = act.softmax(z)
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(a[0], e / e.sum(), rtol=1e-15)
    np.testing.assert_allclose(a[1], [1 / 3] * 3, rtol=1e-15)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-15)


def test_softmax_is_shift_invariant_per_row():
    z = np.random.default_rng(0).standard_normal((4, 5))
    shifts = np.array([[-100.0], [0.0], [7.0], [500.0]])   # a different constant for each row
    np.testing.assert_allclose(act.softmax(z + shifts), act.softmax(z), rtol=1e-12)


def test_softmax_is_stable_for_values_near_1000():
    z = np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1002.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        a = act.softmax(z)
    expected = np.exp([0.0, -1.0, -2.0]) / np.exp([0.0, -1.0, -2.0]).sum()
    np.testing.assert_allclose(a, [expected, expected], rtol=1e-14)


def test_softmax_backward_equals_the_jacobian_product():
    """dL/dz = J^T dL/da with J_ij = a_i (delta_ij - a_j), formed explicitly for one row."""
    rng = np.random.default_rng(2)
    z, da = rng.standard_normal((1, 4)), rng.standard_normal((1, 4))
    a = act.softmax(z)
    jacobian = np.diag(a[0]) - np.outer(a[0], a[0])
    np.testing.assert_allclose(act.softmax_backward(da, a)[0], jacobian.T @ da[0], rtol=1e-12)


def test_softmax_jacobian_matches_finite_differences():
    z = np.random.default_rng(3).standard_normal((2, 4))
    a = act.softmax(z)
    for j in range(4):   # column j of the Jacobian of row-wise softmax, row by row
        step = np.zeros_like(z)
        step[:, j] = 1e-6
        numeric = (act.softmax(z + step) - act.softmax(z - step)) / 2e-6
        one_hot = np.zeros_like(z)
        one_hot[:, j] = 1.0
        analytic = a * (one_hot - a[:, [j]])           # d a_i / d z_j = a_i (delta_ij - a_j)
        np.testing.assert_allclose(numeric, analytic, rtol=1e-7, atol=1e-10)


def test_log_sum_exp_is_stable():
    z = np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]])
    np.testing.assert_allclose(act.log_sum_exp(z), [1000.0 + np.log(2.0), np.log(4.0)], rtol=1e-15)


def test_unknown_activation_names_are_refused_with_the_choices():
    with pytest.raises(ValueError, match="unknown activation 'softplus'; choose one of sigmoid, tanh"):
        act.check_activation_name("softplus")
