"""Chapter 05 checkers: typical wrong answers get the hint that names their mistake, unusual correct
answers pass, and nothing a student's function does crashes a checker."""
import warnings

import numpy as np
import pytest

from exercise_catalogue import MIN_RIGHT, MIN_WRONG, as_float32, assert_right, assert_wrong
from nnlib.exercises.ch05 import check_softmax, check_softmax_cross_entropy_delta


# -- softmax -----------------------------------------------------------------------------------

def softmax_right(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_log_sum_exp(z):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return np.exp(shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True)))


def softmax_rows_loop(z):
    out = np.empty(z.shape)
    for i, row in enumerate(np.asarray(z, dtype=float)):
        e = np.exp(row - row.max())
        out[i] = e / e.sum()
    return out


def softmax_transposes(z):
    e = np.exp(z.T - z.max(axis=1))
    return (e / e.sum(axis=0)).T


def without_max(z):
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def global_max(z):
    e = np.exp(z - z.max())
    return e / e.sum(axis=1, keepdims=True)


def subtracts_min(z):
    e = np.exp(z - z.min(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def subtracts_mean(z):
    e = np.exp(z - z.mean(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def axis0(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def whole_array(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def no_keepdims(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1)


def max_without_keepdims(z):
    e = np.exp(z - z.max(axis=1))
    return e / e.sum(axis=1, keepdims=True)


def of_z_not_exp(z):
    shifted = z - z.min(axis=1, keepdims=True) + 1.0
    return shifted / shifted.sum(axis=1, keepdims=True)


def log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def shifts_in_place(z):
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def as_list(z):
    return softmax_right(z).tolist()


SOFTMAX_WRONG = [
    (without_max, "Subtract each row's maximum first"),
    (global_max, "maximum of the whole batch"),
    (subtracts_min, "subtract each row's MAXIMUM"),
    (subtracts_mean, "subtracting the mean"),
    (axis0, "normalized along axis=0"),
    (whole_array, "the whole array sums to 1"),
    (no_keepdims, "e.sum(axis=1, keepdims=True) keeps the sums as a column"),
    (max_without_keepdims, "z.max(axis=1, keepdims=True) has shape (m, 1)"),
    (of_z_not_exp, "divides e^z_j (not z_j)"),
    (log_softmax, "log-softmax"),
    (shifts_in_place, "instead of changing z"),
    (as_list, "not a list"),
]
SOFTMAX_RIGHT = [softmax_right, softmax_log_sum_exp, softmax_rows_loop, softmax_transposes,
                 as_float32(softmax_right)]


@pytest.mark.parametrize("wrong, phrase", SOFTMAX_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_softmax_mistakes_are_named(wrong, phrase):
    assert_wrong(check_softmax, wrong, phrase)


@pytest.mark.parametrize("right", SOFTMAX_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_softmax_passes(right):
    assert_right(check_softmax, right)


def test_overflow_is_reported_not_warned():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = check_softmax(without_max)
    assert "FloatingPointError" in result.message and "e = np.exp(z)" in result.message


# -- softmax_cross_entropy_delta -----------------------------------------------------------------

def delta_right(a, y):
    return (a - y) / len(a)


def delta_shape(a, y):
    return np.subtract(a, y) * (1.0 / a.shape[0])


def delta_loop(a, y):
    out = np.zeros(a.shape)
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            out[i, j] = (a[i, j] - y[i, j]) / a.shape[0]
    return out


def no_mean(a, y):
    return a - y


def sign_flipped(a, y):
    return (y - a) / len(a)


def sign_flipped_no_mean(a, y):
    return y - a


def divides_by_classes(a, y):
    return (a - y) / a.shape[1]


def precedence(a, y):
    return a - y / len(a)


def divides_twice(a, y):
    return (a - y) / len(a) / len(a)


def keeps_sigmoid_factor(a, y):
    return (a - y) * a * (1 - a) / len(a)


def keeps_factor_no_mean(a, y):
    return (a - y) * a * (1 - a)


def gradient_wrt_a(a, y):
    return -y / a / len(a)


def mean_of_everything(a, y):
    return np.mean(a - y)


def summed_over_batch(a, y):
    return (a - y).sum(axis=0) / len(a)


def subtracts_in_place(a, y):
    a -= y
    return a / len(a)


DELTA_WRONG = [
    (no_mean, "divide by m = len(a)"),
    (sign_flipped, "not (y - a) / m"),
    (sign_flipped_no_mean, "the sign is flipped and the 1/m is missing"),
    (divides_by_classes, "number of classes"),
    (precedence, "mind the parentheses"),
    (divides_twice, "divide by m once"),
    (keeps_sigmoid_factor, "drop the factor a (1 - a)"),
    (keeps_factor_no_mean, "and divide by m"),
    (gradient_wrt_a, "gradient with respect to a"),
    (mean_of_everything, "a single number"),
    (summed_over_batch, "do not sum over the batch"),
    (subtracts_in_place, "instead of changing a"),
]
DELTA_RIGHT = [delta_right, delta_shape, delta_loop]


@pytest.mark.parametrize("wrong, phrase", DELTA_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_delta_mistakes_are_named(wrong, phrase):
    assert_wrong(check_softmax_cross_entropy_delta, wrong, phrase)


@pytest.mark.parametrize("right", DELTA_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_delta_passes(right):
    assert_right(check_softmax_cross_entropy_delta, right)


def test_catalogue_is_broad_enough():
    for wrong, right in [(SOFTMAX_WRONG, SOFTMAX_RIGHT), (DELTA_WRONG, DELTA_RIGHT)]:
        assert len(wrong) >= MIN_WRONG and len(right) >= MIN_RIGHT
