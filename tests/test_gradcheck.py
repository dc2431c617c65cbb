"""Backpropagation agrees with centred differences for every activation x loss x depth, in float64.

Why the cases are chosen, not just drawn (see check_network_gradients' docstring):
- ReLU kinks. With zero biases, an example whose previous layer is all zeros has z == 0 exactly; x +- h
  then straddles the kink and the numerical gradient is an average of two slopes (relative error up to
  1.0 for a correct backward pass: the relu + cross-entropy discrepancy seen in an early quick run).
  We use random nonzero biases and keep every hidden |z| >= 0.01, far more than h times any dz/dparam.
- The noise floor. The centred difference has an absolute error near eps * |C| / h ~ 1e-11, so an entry
  of 1e-9 (a vanishing sigmoid gradient, a saturated softmax, a cancelling sum) has a big *relative* error
  even when it is right. We keep cases whose gradient entries are all >= 1e-3, where the element-wise
  relative error measures the backward pass and not the rounding, and compare at the usual 1e-7.
"""
import itertools

import numpy as np
import pytest

from nnlib import Network, check_network_gradients, numerical_gradient, rel_error, to_one_hot

ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu"]
LOSS_OUTPUTS = [("quadratic", "sigmoid"), ("cross_entropy", "softmax"), ("binary_cross_entropy", "sigmoid"),
                ("quadratic", "softmax"), ("quadratic", "identity")]
KINK_MARGIN, SMALLEST_ENTRY = 1e-2, 1e-3


def is_well_conditioned(net, X, Y):
    """No hidden pre-activation near 0 and no gradient entry near the finite-difference noise floor."""
    _, caches = net.forward(X)
    if any(np.abs(act_cache[1]).min() < KINK_MARGIN for _, act_cache, *_ in caches[:-1]):
        return False
    _, grads = net.loss_and_gradients(X, Y, training=False)
    return min(np.abs(g).min() for g in grads) >= SMALLEST_ENTRY


def well_conditioned_case(sizes, activation, loss, output, weight_decay=0.0, m=3, seed=0, max_tries=2000):
    """A float64 network with random biases and a batch (X, Y), the first seed from `seed` on that is
    well conditioned (deterministic: the same arguments always give the same case)."""
    for attempt in range(seed, seed + max_tries):
        rng = np.random.default_rng(attempt)
        net = Network(sizes, activation=activation, loss=loss, output=output, init="xavier", seed=attempt,
                      weight_decay=weight_decay)
        for b in net.biases:
            b[...] = 0.5 * rng.standard_normal(b.shape)
        X = rng.standard_normal((m, sizes[0]))
        Y = to_one_hot(rng.integers(0, sizes[-1], m), sizes[-1])
        if is_well_conditioned(net, X, Y):
            return net, X, Y
    raise AssertionError(f"no well-conditioned case in {max_tries} tries for {sizes} {activation} {loss}")


def sizes_for(depth):
    """depth weight layers: 3 -> 3 for depth 1, 3 -> 3 -> 3 for depth 2, and so on."""
    return [3] * depth + [3]


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("loss, output", LOSS_OUTPUTS, ids=[f"{l}+{o}" for l, o in LOSS_OUTPUTS])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backprop_matches_numerical_gradients(activation, loss, output, depth, weight_decay):
    net, X, Y = well_conditioned_case(sizes_for(depth), activation, loss, output, weight_decay)
    errors = check_network_gradients(net, X, Y)
    assert len(errors) == 2 * depth
    assert max(errors.values()) < 1e-7, errors


def test_the_check_catches_a_wrong_gradient():
    net, X, Y = well_conditioned_case([3, 3, 3], "tanh", "cross_entropy", "softmax")
    original = net.backward

    def off_by_a_little(delta, caches, **options):
        grads = original(delta, caches, **options)
        grads[0] = grads[0] * 1.001                      # a 0.1 % error in dW0
        return grads

    net.backward = off_by_a_little
    errors = check_network_gradients(net, X, Y)
    assert errors["W0"] > 1e-4 and max(errors[k] for k in errors if k != "W0") < 1e-7


def test_the_zero_bias_relu_kink_explains_a_large_error():
    """The early relu discrepancy, reproduced: with zero biases, an example whose first hidden layer is all
    off reaches the second hidden layer with z exactly 0, right on the kink."""
    net = Network([2, 2, 2, 2], activation="relu", seed=0)
    net.weights[0][...] = 1.0
    X = np.array([[-1.0, -1.0], [1.0, 0.5]])            # row 0: every first-layer unit is off
    Y = np.eye(2)
    _, caches = net.forward(X)
    second_hidden_z = caches[1][1][1]
    assert np.all(second_hidden_z[0] == 0.0)
    assert check_network_gradients(net, X, Y)["b1"] > 0.1   # b1 +- h straddles the kink
    for b in net.biases:
        b += 0.3                                         # move every z off the kink: the check passes
    assert max(check_network_gradients(net, X, Y).values()) < 1e-7


def test_numerical_gradient_of_a_known_function_and_input_is_restored():
    x = np.array([1.0, -2.0, 3.0])
    grad = numerical_gradient(lambda: float(np.sum(x ** 3)), x)
    np.testing.assert_allclose(grad, 3 * np.array([1.0, 4.0, 9.0]), rtol=1e-9)
    np.testing.assert_array_equal(x, [1.0, -2.0, 3.0])


def test_rel_error_definition_and_shape_check():
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error([1.0, 0.0], [3.0, 0.0]) == pytest.approx(0.5)           # |1-3| / (1+3)
    assert rel_error([0.0], [1e-9]) == pytest.approx(0.1)                    # denominator floored at 1e-8
    assert rel_error([], []) == 0.0
    with pytest.raises(ValueError, match=r"cannot compare arrays of shapes \(2,\) and \(3,\)"):
        rel_error([1.0, 2.0], [1.0, 2.0, 3.0])


def test_every_combination_is_covered():
    combos = set(itertools.product(ACTIVATIONS, LOSS_OUTPUTS))
    assert len(combos) == 20 and ("relu", ("cross_entropy", "softmax")) in combos
