"""The chapter 03 checkers accept correct code and name the typical mistakes, without ever crashing."""
import numpy as np
import pytest

from nnlib.activations import sigmoid
from nnlib.exercises.ch03 import check_dense_backward, check_sigmoid_prime


# -- sigmoid_prime -----------------------------------------------------------------------------

def good_sigmoid_prime(z):
    s = sigmoid(z)
    return s * (1 - s)


def test_sigmoid_prime_correct_passes():
    result = check_sigmoid_prime(good_sigmoid_prime)
    assert result.passed and str(result).startswith("✓ sigmoid_prime: all 4 cases pass")


def test_sigmoid_prime_with_plain_exp_also_passes():
    def with_exp(z):
        with np.errstate(over="ignore"):
            s = 1 / (1 + np.exp(-z))
        return s * (1 - s)
    assert check_sigmoid_prime(with_exp).passed


@pytest.mark.parametrize("wrong, hint", [
    (lambda z: sigmoid(z) * (1 - z), "both factors need sigma"),
    (lambda z: z * (1 - z), "a = sigma(z)"),
    (lambda z: good_sigmoid_prime(sigmoid(z)), "at sigma(z) instead of at z"),
    (lambda z: sigmoid(z), "returned sigma(z) itself"),
    (lambda z: 1 - sigmoid(z) ** 2, "tanh"),
    (lambda z: np.sum(good_sigmoid_prime(z)), "element-wise"),
    (lambda z: None, "NumPy array"),
])
def test_sigmoid_prime_mistakes_are_named(wrong, hint):
    result = check_sigmoid_prime(wrong)
    assert not result.passed
    assert hint in result.hint, result.message
    assert hint in str(result)


def test_sigmoid_prime_exception_and_not_implemented_are_reported():
    def raises(z):
        raise KeyError("oops")

    def todo(z):
        raise NotImplementedError("compute sigma'(z)")
    assert "raised KeyError" in str(check_sigmoid_prime(raises))
    assert "not implemented yet" in str(check_sigmoid_prime(todo))


# -- dense_backward ----------------------------------------------------------------------------

def good_dense_backward(dZ, cache):
    X, W = cache
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)


def test_dense_backward_correct_passes():
    result = check_dense_backward(good_dense_backward)
    assert result.passed and str(result) == "✓ dense_backward: all 5 cases pass"


def _variant(dX=None, dW=None, db=None):
    def student(dZ, cache):
        X, W = cache
        good = good_dense_backward(dZ, cache)
        return (dX(dZ, X, W) if dX else good[0], dW(dZ, X, W) if dW else good[1], db(dZ, X, W) if db else good[2])
    return student


@pytest.mark.parametrize("wrong, hint", [
    (_variant(dW=lambda dZ, X, W: dZ.T @ X), "dW is transposed"),
    (_variant(dW=lambda dZ, X, W: X.T @ dZ / len(dZ)), "dW is divided by m"),
    (_variant(db=lambda dZ, X, W: dZ), "db must be summed over the batch"),
    (_variant(db=lambda dZ, X, W: dZ.sum(axis=1)), "summed over the wrong axis"),
    (_variant(db=lambda dZ, X, W: dZ.sum(axis=0, keepdims=True)), "db should be 1-D"),
    (_variant(db=lambda dZ, X, W: dZ.mean(axis=0)), "db is the mean"),
    (_variant(dX=lambda dZ, X, W: dZ @ W), "dX = dZ @ W.T"),
    (_variant(dX=lambda dZ, X, W: dZ @ W.T / len(dZ)), "dX is divided by m"),
    (lambda dZ, cache: list(good_dense_backward(dZ, cache)), "not a list"),
    (lambda dZ, cache: None, "as a tuple"),
    (lambda dZ, cache: good_dense_backward(dZ, cache)[1:], "exactly three arrays"),
    (lambda dZ, cache: (good_dense_backward(dZ, cache)[1], good_dense_backward(dZ, cache)[0],
                        good_dense_backward(dZ, cache)[2]), "the order is (dX, dW, db)"),
])
def test_dense_backward_mistakes_are_named(wrong, hint):
    result = check_dense_backward(wrong)
    assert not result.passed
    assert result.hint is not None and hint in result.hint, result.message


def test_dense_backward_wrong_shape_and_exceptions_are_reported_not_raised():
    def raises(dZ, cache):
        X, W = cache
        return dZ @ X, None, None  # a shape error inside the student's code

    def wrong_shape(dZ, cache):
        X, W = cache
        return dZ @ W.T, (X.T @ dZ)[:, :1], dZ.sum(axis=0)
    assert "raised ValueError" in str(check_dense_backward(raises))
    message = str(check_dense_backward(wrong_shape))
    assert "✗ dense_backward" in message and "expected shape" in message


def test_the_checker_does_not_let_in_place_changes_leak():
    def scribbles(dZ, cache):
        X, W = cache
        W *= 0  # a student bug that changes the cache; the next case must still be fair
        return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)
    result = check_dense_backward(scribbles)
    assert not result.passed and "4 examples, square layer" in result.case
