"""Chapter 05 checkers: typical wrong answers get the hint that names their mistake, unusual correct
answers pass, and nothing a student's function does crashes a checker."""
import warnings

import numpy as np
import pytest

from exercise_catalogue import MIN_RIGHT, MIN_WRONG, as_float32, assert_right, assert_wrong
from nnlib.exercises.ch05 import check_softmax, check_weighted_cross_entropy_delta


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


# -- weighted_cross_entropy_delta ----------------------------------------------------------------

def weighted_right(a, y, w):
    return (a - y) * (y @ w)[:, None] / len(a)


def weighted_by_indexing(a, y, w):
    classes = y.argmax(axis=1)
    return (a - y) * np.asarray(w, dtype=float)[classes].reshape(-1, 1) / a.shape[0]


def weighted_loop(a, y, w):
    out = np.zeros(a.shape)
    for i in range(a.shape[0]):
        weight = sum(w[j] for j in range(a.shape[1]) if y[i, j] == 1)
        out[i] = weight * (a[i] - y[i]) / a.shape[0]
    return out


def unweighted(a, y, w):
    return (a - y) / len(a)


def weights_per_column(a, y, w):
    return (a - y) * w / len(a)


def no_mean(a, y, w):
    return (a - y) * (y @ w)[:, None]


def divides_by_total_weight(a, y, w):
    row = (y @ w)[:, None]
    return (a - y) * row / row.sum()


def divides_by_classes(a, y, w):
    return (a - y) * (y @ w)[:, None] / a.shape[1]


def sign_flipped(a, y, w):
    return (y - a) * (y @ w)[:, None] / len(a)


def weights_only_y(a, y, w):
    return (a - (y @ w)[:, None] * y) / len(a)


def weights_only_a(a, y, w):
    return ((y @ w)[:, None] * a - y) / len(a)


def predicted_weights(a, y, w):
    return (a - y) * (a @ w)[:, None] / len(a)


def row_weights_not_a_column(a, y, w):
    return (a - y) * (y @ w) / len(a)


def mean_of_everything(a, y, w):
    return np.mean((a - y) * (y @ w)[:, None])


def summed_over_batch(a, y, w):
    return ((a - y) * (y @ w)[:, None]).sum(axis=0) / len(a)


def subtracts_in_place(a, y, w):
    a -= y
    return a * (y @ w)[:, None] / len(a)


DELTA_WRONG = [
    (unweighted, "the weights are missing"),
    (weights_per_column, "you scaled each column"),
    (no_mean, "divide by m = len(a)"),
    (divides_by_total_weight, "total weight of the batch"),
    (divides_by_classes, "number of classes"),
    (sign_flipped, "the sign is flipped"),
    (weights_only_y, "not only y"),
    (weights_only_a, "not only a"),
    (predicted_weights, "not the weights averaged"),
    (row_weights_not_a_column, "make it a column"),
    (mean_of_everything, "a single number"),
    (summed_over_batch, "do not sum over the batch"),
    (subtracts_in_place, "instead of changing a"),
]
DELTA_RIGHT = [weighted_right, weighted_by_indexing, weighted_loop, as_float32(weighted_right)]


@pytest.mark.parametrize("wrong, phrase", DELTA_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_weighted_delta_mistakes_are_named(wrong, phrase):
    assert_wrong(check_weighted_cross_entropy_delta, wrong, phrase)


@pytest.mark.parametrize("right", DELTA_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_weighted_delta_passes(right):
    assert_right(check_weighted_cross_entropy_delta, right)


def test_catalogue_is_broad_enough():
    for wrong, right in [(SOFTMAX_WRONG, SOFTMAX_RIGHT), (DELTA_WRONG, DELTA_RIGHT)]:
        assert len(wrong) >= MIN_WRONG and len(right) >= MIN_RIGHT


def test_calling_nnlibs_softmax_is_refused():
    import nnlib.activations
    from nnlib import softmax

    for cheat in (lambda z: softmax(z), lambda z: nnlib.activations.softmax(np.asarray(z, dtype=float))):
        result = check_softmax(cheat)
        assert not result.passed
        assert "calls nnlib.activations.softmax" in result.message and "write the formula yourself" in result.message
