"""Losses (batch means) and the output-layer delta for every loss/output pairing."""
import numpy as np
import pytest

from nnlib import losses
from nnlib.activations import ELEMENTWISE, softmax, sigmoid
from nnlib.gradcheck import numerical_gradient, rel_error

Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])


def test_quadratic_loss_by_hand():
    a = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 1.0]])
    # example 1: 1/2 (0.25 + 0.25 + 0) = 0.25;  example 2: 1/2 (0 + 0 + 1) = 0.5;  mean 0.375
    assert losses.quadratic_loss(a, Y) == pytest.approx(0.375, rel=1e-15)


def test_softmax_cross_entropy_by_hand_and_against_the_naive_formula():
    z = np.array([[0.0, 0.0, 0.0], [np.log(2.0), 0.0, 0.0]])
    # example 1: -ln(1/3) = ln 3;  example 2: softmax = (2, 1, 1) / 4, -ln(1/2) = ln 2
    assert losses.softmax_cross_entropy(z, Y) == pytest.approx((np.log(3) + np.log(2)) / 2, rel=1e-15)
    assert losses.cross_entropy_loss(softmax(z), Y) == pytest.approx((np.log(3) + np.log(2)) / 2, rel=1e-14)


def test_softmax_cross_entropy_is_stable_where_the_naive_form_is_not():
    z = np.array([[1000.0, 0.0, -1000.0]])
    target = np.array([[0.0, 0.0, 1.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        assert losses.softmax_cross_entropy(z, target) == pytest.approx(2000.0, rel=1e-15)
    assert losses.cross_entropy_loss(softmax(z), target) == pytest.approx(-np.log(1e-12))  # clipped


def test_binary_cross_entropy_by_hand_and_stable():
    z = np.array([[0.0, np.log(3.0)]])
    target = np.array([[1.0, 0.0]])
    # sigma(0) = 1/2 -> -ln(1/2);  sigma(ln 3) = 3/4 -> -ln(1 - 3/4) = ln 4
    assert losses.binary_cross_entropy(z, target) == pytest.approx(np.log(2) + np.log(4), rel=1e-14)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        big = losses.binary_cross_entropy(np.array([[1000.0, -1000.0]]), np.array([[0.0, 1.0]]))
    assert big == pytest.approx(2000.0, rel=1e-15)


PAIRINGS = [("quadratic", name) for name in ELEMENTWISE] + [
    ("quadratic", "softmax"), ("cross_entropy", "softmax"), ("binary_cross_entropy", "sigmoid")]


def output(name, z):
    return softmax(z) if name == "softmax" else ELEMENTWISE[name][0](z)


@pytest.mark.parametrize("loss, out", PAIRINGS, ids=[f"{l}+{o}" for l, o in PAIRINGS])
def test_output_delta_is_the_gradient_of_the_loss(loss, out):
    rng = np.random.default_rng(0)
    z = rng.uniform(0.2, 2.0, (4, 3)) * rng.choice([-1, 1], (4, 3))   # |z| >= 0.2: no ReLU kink nearby
    target = np.eye(3)[rng.integers(0, 3, 4)]

    def loss_of_z():
        return losses.loss_value(loss, out, z, output(out, z), target)

    delta = losses.output_delta(loss, out, z, output(out, z), target)
    assert rel_error(delta, numerical_gradient(loss_of_z, z)) < 1e-7


@pytest.mark.parametrize("loss, out", [("cross_entropy", "softmax"), ("binary_cross_entropy", "sigmoid")])
def test_matched_pairings_give_a_minus_y_over_m(loss, out):
    z = np.random.default_rng(1).standard_normal((5, 3))
    target = np.eye(3)[[0, 1, 2, 0, 1]]
    a = softmax(z) if out == "softmax" else sigmoid(z)
    np.testing.assert_allclose(losses.output_delta(loss, out, z, a, target), (a - target) / 5, rtol=1e-15)


def test_quadratic_sigmoid_delta_is_nielsen_bp1():
    z = np.array([[0.0, 1.0]])
    a, target = sigmoid(z), np.array([[1.0, 0.0]])
    expected = (a - target) * a * (1 - a)            # (a - y) * sigma'(z), m = 1
    np.testing.assert_allclose(losses.output_delta("quadratic", "sigmoid", z, a, target), expected, rtol=1e-15)


@pytest.mark.parametrize("loss, out, message", [
    ("hinge", "softmax", "unknown loss 'hinge'"),
    ("cross_entropy", "sigmoid", "cross_entropy expects a softmax output layer"),
    ("binary_cross_entropy", "softmax", "binary_cross_entropy expects sigmoid outputs")])
def test_mismatched_pairings_are_refused(loss, out, message):
    with pytest.raises(ValueError, match=message):
        losses.check_pairing(loss, out)
