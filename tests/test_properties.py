"""Property-based tests (hypothesis): invariances that must hold for every input, not just the ones we chose.

Example counts are small on purpose: the whole file runs in a few seconds."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nnlib import activations as act
from nnlib import check_network_gradients
from test_gradcheck import ACTIVATIONS, LOSS_OUTPUTS, well_conditioned_case

FAST = settings(max_examples=30, deadline=None)
matrices = st.tuples(st.integers(1, 5), st.integers(1, 6)).flatmap(
    lambda shape: arrays(np.float64, shape, elements=st.floats(-1000, 1000)))


@FAST
@given(z=matrices, data=st.data())
def test_softmax_is_shift_invariant_per_row(z, data):
    shifts = data.draw(arrays(np.float64, (len(z), 1), elements=st.floats(-1000, 1000)))
    np.testing.assert_allclose(act.softmax(z + shifts), act.softmax(z), rtol=1e-9, atol=1e-12)


@FAST
@given(z=matrices)
def test_softmax_rows_are_probability_distributions_even_for_large_values(z):
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # underflow to 0 is fine
        a = act.softmax(z)
    assert np.all((a >= 0) & (a <= 1))
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-12)
    rows = np.arange(len(z))
    np.testing.assert_array_equal(a[rows, z.argmax(axis=1)], a.max(axis=1))  # the largest logit wins


@FAST
@given(z=matrices)
def test_log_sum_exp_bounds(z):
    """max(z) <= log sum e^z <= max(z) + log k, for any row of k values."""
    lse = act.log_sum_exp(z)
    assert np.all(lse >= z.max(axis=1) - 1e-12)
    assert np.all(lse <= z.max(axis=1) + np.log(z.shape[1]) + 1e-9)


SMOOTH = {"sigmoid": (act.sigmoid, act.sigmoid_prime), "tanh": (act.tanh, act.tanh_prime)}
KINKED = {"relu": (act.relu, act.relu_prime), "leaky_relu": (act.leaky_relu, act.leaky_relu_prime)}


@FAST
@given(name=st.sampled_from(sorted(SMOOTH)),
       z=arrays(np.float64, st.integers(1, 20), elements=st.floats(-8, 8)))
def test_smooth_derivatives_match_finite_differences(name, z):
    f, f_prime = SMOOTH[name]
    h = 1e-5
    np.testing.assert_allclose(f_prime(z), (f(z + h) - f(z - h)) / (2 * h), rtol=1e-6, atol=1e-10)


@FAST
@given(name=st.sampled_from(sorted(KINKED)),
       z=arrays(np.float64, st.integers(1, 20),
                elements=st.floats(-50, 50).filter(lambda v: abs(v) > 1e-3)))   # stay off the kink
def test_piecewise_linear_derivatives_match_finite_differences(name, z):
    f, f_prime = KINKED[name]
    h = 1e-6
    np.testing.assert_allclose(f_prime(z), (f(z + h) - f(z - h)) / (2 * h), rtol=1e-7, atol=1e-9)


@FAST
@given(z=arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e4, 1e4)))
def test_sigmoid_is_bounded_monotone_and_symmetric(z):
    s = act.sigmoid(np.sort(z))
    assert np.all((s >= 0) & (s <= 1)) and np.all(np.diff(s) >= 0)
    np.testing.assert_allclose(act.sigmoid(-z), 1 - act.sigmoid(z), atol=1e-15)


@settings(max_examples=12, deadline=None)
@given(activation=st.sampled_from(ACTIVATIONS), loss_output=st.sampled_from(LOSS_OUTPUTS),
       sizes=st.lists(st.integers(1, 4), min_size=2, max_size=4), m=st.integers(1, 4),
       weight_decay=st.sampled_from([0.0, 0.05]), seed=st.integers(0, 10_000))
def test_gradient_check_on_random_network_shapes(activation, loss_output, sizes, m, weight_decay, seed):
    loss, output = loss_output
    if output == "softmax" and sizes[-1] == 1:
        sizes = [*sizes[:-1], 2]        # a one-unit softmax is constant 1: every gradient is exactly 0
    net, X, Y = well_conditioned_case(sizes, activation, loss, output, weight_decay, m=m, seed=seed)
    assert max(check_network_gradients(net, X, Y).values()) < 1e-7
