"""The chapter 02 checkers: correct answers pass, typical mistakes fail with the hint that names them,
and nothing a student's function does (raise, overflow, return None or a list) crashes a checker."""
import math
import warnings

import numpy as np
import pytest

from nnlib.exercises.ch02 import check_dense_forward, check_sigmoid

# ---------------------------------------------------------------------------------------------
# sigmoid


def sigmoid_stable_where(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))  # never overflows: the exponent is <= 0
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_tanh(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


@pytest.mark.parametrize("fn", [sigmoid_stable_where, sigmoid_tanh])
def test_correct_sigmoid_passes(fn):
    result = check_sigmoid(fn)
    assert result.passed, result.message
    assert result.message == "✓ sigmoid: all 5 cases pass"


def test_naive_sigmoid_fails_on_overflow_and_says_why():
    result = check_sigmoid(lambda z: 1 / (1 + np.exp(-z)))
    assert not result.passed
    assert result.case.startswith("large negative z")
    assert "FloatingPointError" in result.message and "overflow" in result.message
    assert "e^-z overflows" in result.hint


def test_the_checker_leaves_numpy_error_settings_as_they_were():
    before = np.geterr()
    check_sigmoid(lambda z: 1 / (1 + np.exp(-z)))
    assert np.geterr() == before


def test_naive_sigmoid_fails_without_emitting_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not check_sigmoid(lambda z: 1 / (1 + np.exp(-z))).passed


@pytest.mark.parametrize("fn, hint", [
    (lambda z: 1 / (1 + np.exp(z)), "the exponent needs a minus sign"),
    (lambda z: np.exp(-z), "that is e^-z alone"),
    (lambda z: math.exp(-z) / (1 + math.exp(-z)), "np.exp works element-wise"),
    (lambda z: np.exp(z) / (1 + np.exp(z)), "e^z overflows for large positive z"),
    (lambda z: [1 / (1 + math.exp(-v)) for v in np.ravel(z)], "not a list"),
    (lambda z: sigmoid_tanh(np.ravel(z)), "same shape as z"),
])
def test_typical_wrong_sigmoid_fails_with_its_hint(fn, hint):
    result = check_sigmoid(fn)
    assert not result.passed
    assert hint in result.hint, result.message


@pytest.mark.parametrize("fn, words", [
    (lambda z: None, "None (did you forget `return`?)"),
    (lambda z: sigmoid_tanh(z).tolist() if np.ndim(z) else 0.5, "got a list"),
    (lambda z: {}["key"], "raised KeyError"),
])
def test_sigmoid_checker_reports_instead_of_crashing(fn, words):
    result = check_sigmoid(fn)
    assert not result.passed
    assert words in result.message


# ---------------------------------------------------------------------------------------------
# dense_forward


def dense_matmul(X, W, b):
    return X @ W + b


def dense_loops(X, W, b):
    Z = np.empty((X.shape[0], W.shape[1]))
    for i in range(X.shape[0]):
        for j in range(W.shape[1]):
            Z[i, j] = sum(X[i, k] * W[k, j] for k in range(W.shape[0])) + b[j]
    return Z


@pytest.mark.parametrize("fn", [dense_matmul, dense_loops, lambda X, W, b: np.dot(X, W) + b])
def test_correct_dense_forward_passes(fn):
    result = check_dense_forward(fn)
    assert result.passed, result.message
    assert result.message == "✓ dense_forward: all 4 cases pass"


@pytest.mark.parametrize("fn, hint", [
    (lambda X, W, b: W @ X + b, "batch first"),
    (lambda X, W, b: X @ W.T + b, "not X @ W.T"),
    (lambda X, W, b: X @ W, "you forgot the bias"),
    (lambda X, W, b: (X @ W).T + b, "do not transpose"),
    (lambda X, W, b: X @ W + b[:, None], "do not reshape it to a column"),
    (lambda X, W, b: X * W + b, "* multiplies element by element"),
    (lambda X, W, b: (X @ W + b, (X, W)), "return only Z"),
    (lambda X, W, b: (X @ W + b).tolist(), "not a list"),
])
def test_typical_wrong_dense_forward_fails_with_its_hint(fn, hint):
    result = check_dense_forward(fn)
    assert not result.passed
    assert hint in result.hint, result.message


def test_w_times_x_on_non_square_shapes_names_the_shape_rule():
    # With square shapes W @ X runs and gives wrong numbers; from case 2 on it cannot even run.
    result = check_dense_forward(lambda X, W, b: X @ W + b if X.shape[0] == 2 else W @ X + b)
    assert result.case == "4 examples, 3 inputs, 2 outputs"
    assert "raised ValueError" in result.message
    assert "X is (m, n_in) and W is (n_in, n_out)" in result.hint


@pytest.mark.parametrize("fn, words", [
    (lambda X, W, b: None, "None (did you forget `return`?)"),
    (lambda X, W, b: np.zeros(3), "expected shape"),
    (lambda X, W, b: X.undefined, "raised AttributeError"),
])
def test_dense_checker_reports_instead_of_crashing(fn, words):
    result = check_dense_forward(fn)
    assert not result.passed
    assert words in result.message
