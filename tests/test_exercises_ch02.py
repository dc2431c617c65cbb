"""Chapter 02 checkers: typical wrong answers get the hint that names their mistake, unusual correct
answers pass, and nothing a student's function does crashes a checker."""
import math
import warnings

import numpy as np
import pytest

from exercise_catalogue import MIN_RIGHT, MIN_WRONG, as_float32, assert_right, assert_wrong
from nnlib.exercises.ch02 import check_dense_forward, check_sigmoid


# -- sigmoid -----------------------------------------------------------------------------------

def sigmoid_stable(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_masks(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1 / (1 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1 + e)
    return out


def sigmoid_loop(z):
    z = np.asarray(z, dtype=float)
    flat = [1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x)) for x in z.ravel()]
    return np.array(flat).reshape(z.shape)


def sigmoid_clipped(z):
    return 1 / (1 + np.exp(-np.clip(z, -500, 500)))


def textbook(z):
    return 1 / (1 + np.exp(-z))


def minus_sign_missing(z):
    return sigmoid_stable(-np.asarray(z, dtype=float))


def exp_alone(z):
    return np.exp(-np.clip(z, -700, 700))


def where_both_branches(z):
    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))


def math_exp(z):
    return 1 / (1 + math.exp(-z))


def integer_output(z):
    z = np.asarray(z)
    out = np.zeros_like(z)
    positive = z >= 0
    out[positive] = 1 / (1 + np.exp(-z[positive]))
    out[~positive] = np.exp(z[~positive]) / (1 + np.exp(z[~positive]))
    return out


def changes_its_input(z):
    z = np.asarray(z, dtype=float)          # no copy: for a float array this is the caller's array
    np.clip(z, -500, 500, out=z)            # clamps the caller's values in place
    return 1 / (1 + np.exp(-z))


def list_comprehension(z):
    return [1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x)) for x in np.ravel(z)]


def indexes_a_number(z):
    out = np.zeros(np.shape(z))
    out[z >= 0] = 1 / (1 + np.exp(-z[z >= 0]))
    out[z < 0] = np.exp(z[z < 0]) / (1 + np.exp(z[z < 0]))
    return out


def tanh_without_half(z):
    return (1 + np.tanh(z)) / 2


def the_derivative(z):
    s = sigmoid_stable(z)
    return s * (1 - s)


def forgets_the_one(z):
    return 1 / np.exp(-np.clip(z, -700, 700))


SIGMOID_WRONG = [
    (textbook, "e^-z overflows for large negative z"),
    (minus_sign_missing, "needs a minus sign"),
    (exp_alone, "that is e^-z alone"),
    (where_both_branches, "computes both a and b"),
    (math_exp, "math.exp works on one number"),
    (integer_output, "integer dtype"),
    (changes_its_input, "instead of changing z"),
    (list_comprehension, "not a list"),
    (indexes_a_number, "single number"),
    (tanh_without_half, "half of z"),
    (the_derivative, "asks for sigma(z) itself"),
    (forgets_the_one, "do not forget the 1 +"),
]
SIGMOID_RIGHT = [sigmoid_stable, sigmoid_masks, sigmoid_loop, sigmoid_clipped, as_float32(sigmoid_stable)]


@pytest.mark.parametrize("wrong, phrase", SIGMOID_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_sigmoid_mistakes_are_named(wrong, phrase):
    assert_wrong(check_sigmoid, wrong, phrase)


@pytest.mark.parametrize("right", SIGMOID_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_sigmoid_passes(right):
    assert_right(check_sigmoid, right)


def test_overflow_is_reported_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = check_sigmoid(textbook)
    assert "FloatingPointError: overflow encountered in exp" in result.message
    assert "at line " in result.message and "return 1 / (1 + np.exp(-z))" in result.message


# -- dense_forward -----------------------------------------------------------------------------

def dense_right(X, W, b):
    return X @ W + b


def dense_einsum(X, W, b):
    return np.einsum("mi,io->mo", X, W) + b


def dense_loop(X, W, b):
    Z = np.zeros((X.shape[0], W.shape[1]))
    for i in range(X.shape[0]):
        for j in range(W.shape[1]):
            Z[i, j] = sum(X[i, k] * W[k, j] for k in range(X.shape[1])) + b[j]
    return Z


def dense_dot_transposes(X, W, b):
    return (W.T @ X.T).T + b[None, :]


def w_at_x(X, W, b):
    return W @ X + b


def w_transposed(X, W, b):
    return X @ W.T + b


def no_bias(X, W, b):
    return X @ W


def minus_bias(X, W, b):
    return X @ W - b


def z_transposed(X, W, b):
    return (X @ W + b).T


def elementwise(X, W, b):
    return X * W + b


def bias_column(X, W, b):
    return X @ W + b[:, None]


def with_cache(X, W, b):
    return X @ W + b, (X, W)


def as_list(X, W, b):
    return (X @ W + b).tolist()


def bias_summed(X, W, b):
    return X @ W + b.sum()


def forgets_return(X, W, b):
    Z = X @ W + b  # noqa: F841


def returns_a_string(X, W, b):
    return f"Z = {X @ W + b}"


DENSE_WRONG = [
    (w_at_x, "column convention"),
    (w_transposed, "not X @ W.T"),
    (no_bias, "you forgot the bias"),
    (minus_bias, "not subtracted"),
    (z_transposed, "do not transpose it"),
    (elementwise, "* multiplies element by element"),
    (bias_column, "do not reshape it to a column"),
    (with_cache, "return only Z"),
    (as_list, "not a list"),
    (bias_summed, "not its sum"),
    (forgets_return, "returned None"),
    (returns_a_string, "has shape (m, n_out)"),
]
DENSE_RIGHT = [dense_right, dense_einsum, dense_loop, dense_dot_transposes]


@pytest.mark.parametrize("wrong, phrase", DENSE_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_dense_forward_mistakes_are_named(wrong, phrase):
    assert_wrong(check_dense_forward, wrong, phrase)


@pytest.mark.parametrize("right", DENSE_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_dense_forward_passes(right):
    assert_right(check_dense_forward, right)


def test_catalogue_is_broad_enough():
    for wrong, right in [(SIGMOID_WRONG, SIGMOID_RIGHT), (DENSE_WRONG, DENSE_RIGHT)]:
        assert len(wrong) >= MIN_WRONG and len(right) >= MIN_RIGHT


def test_calling_the_library_is_refused():
    import nnlib
    from nnlib.activations import sigmoid, tanh
    from nnlib.layers import dense_forward

    for cheat, name in [(sigmoid, "sigmoid"), (lambda z: nnlib.activations.sigmoid(z) * 1, "sigmoid"),
                        (lambda z: (1 + tanh(np.asarray(z) / 2)) / 2, "tanh")]:
        result = check_sigmoid(cheat)
        assert not result.passed and f"calls nnlib.activations.{name}" in result.message
        assert "np.exp" in result.hint
    for cheat in (lambda X, W, b: dense_forward(X, W, b)[0], lambda X, W, b: nnlib.layers.dense_forward(X, W, b)[0]):
        result = check_dense_forward(cheat)
        assert not result.passed and "calls nnlib.layers.dense_forward" in result.message
        assert "@ and +" in result.hint


@pytest.mark.parametrize("value", ["0.5", b"\x00", None, (1, 2), [0.5], {"z": 1}, 0.5, True])
def test_odd_return_values_never_crash(value):
    for check in (check_sigmoid, check_dense_forward):
        result = check(lambda *args: value)
        assert not result.passed and "got" in result.message


def sigmoid_naive_under_errstate(z):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


@np.errstate(all="ignore")
def sigmoid_naive_decorated(z):
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


def sigmoid_naive_under_seterr(z):
    old = np.seterr(over="ignore")
    try:
        return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))
    finally:
        np.seterr(**old)


def sigmoid_naive_filtered(z):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


@pytest.mark.parametrize("cheat, switch", [(sigmoid_naive_under_errstate, "np.errstate"),
                                           (sigmoid_naive_decorated, "np.errstate"),
                                           (sigmoid_naive_under_seterr, "np.seterr"),
                                           (sigmoid_naive_filtered, "warnings.catch_warnings")])
def test_silencing_the_overflow_is_refused(cheat, switch):
    result = check_sigmoid(cheat)
    assert not result.passed and f"switches NumPy's warnings off ({switch})" in result.message
    assert "only ever exponentiate numbers <= 0" in result.hint


def test_the_softmax_trick_is_refused():
    from nnlib.activations import softmax

    def via_softmax(z):
        z = np.asarray(z, dtype=float)
        return softmax(np.stack([np.zeros(z.size), z.ravel()], axis=1))[:, 1].reshape(z.shape)

    result = check_sigmoid(via_softmax)
    assert not result.passed and "calls nnlib.activations.softmax" in result.message


def test_a_sigmoid_using_np_isclose_inside_still_passes():
    def careful(z):  # np.isclose turns errstate on internally; that is NumPy's business, not the student's
        z = np.asarray(z, dtype=float)
        e = np.exp(-np.abs(z))
        assert not np.isclose(e, -1).any()
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))

    assert check_sigmoid(careful).passed


def test_silencing_is_refused_under_an_active_profiler_which_is_restored():
    import sys

    def profiler(frame, event, arg):
        return None

    sys.setprofile(profiler)
    try:
        result = check_sigmoid(sigmoid_naive_under_errstate)
        still_there = sys.getprofile() is profiler
    finally:
        sys.setprofile(None)
    assert not result.passed and "switches NumPy's warnings off (np.errstate)" in result.message
    assert still_there


def test_a_helper_decorated_with_errstate_is_refused():
    @np.errstate(over="ignore")
    def exponential(z):
        return np.exp(z)

    def sigmoid_with_silenced_helper(z):
        return 1 / (1 + exponential(-np.asarray(z, dtype=float)))

    result = check_sigmoid(sigmoid_with_silenced_helper)
    assert not result.passed and "(np.errstate)" in result.message
