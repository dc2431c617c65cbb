"""Chapter 05 checkers: right answers pass, each typical mistake fails with the hint that names it,
and nothing a student's function does (raise, return None, a list, a wrong shape) crashes a checker."""
import numpy as np
import pytest

from nnlib.exercises.ch05 import check_softmax, check_softmax_cross_entropy_delta


# ---------------------------------------------------------------------------------------------
# softmax

def softmax_right(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_without_max(z):
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_global_max(z):
    e = np.exp(z - z.max())
    return e / e.sum(axis=1, keepdims=True)


def softmax_axis0(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def softmax_whole_array(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def softmax_no_keepdims(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1)


def softmax_no_keepdims_transposed(z):
    """Forgets keepdims but makes the shapes agree by transposing: wrong only for square inputs... and more."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return (e.T / e.sum(axis=1)).T if z.shape[0] != z.shape[1] else e / e.sum(axis=1)


def softmax_of_z_not_exp(z):
    shifted = z - z.min(axis=1, keepdims=True) + 1.0
    return shifted / shifted.sum(axis=1, keepdims=True)


def test_right_softmax_passes():
    result = check_softmax(softmax_right)
    assert result.passed, result.message
    assert result.message == "✓ softmax: all 6 cases pass"


@pytest.mark.parametrize("wrong, case, hint", [
    (softmax_without_max, "huge logits", "Subtract each row's maximum first"),
    (softmax_global_max, "huge logits", "Subtract each row's maximum first"),
    (softmax_axis0, "the worked example", "normalized along axis=0"),
    (softmax_whole_array, "a batch of 4 examples", "the whole array sums to 1"),
    (softmax_no_keepdims, "a batch of 4 examples", "keepdims=True"),
    (softmax_no_keepdims_transposed, "a square batch", "keepdims=True"),
    (softmax_of_z_not_exp, "the worked example", "divides e^z_j (not z_j)"),
])
def test_typical_softmax_mistakes_get_their_hint(wrong, case, hint):
    result = check_softmax(wrong)
    assert not result.passed
    assert result.case.startswith(case), result.message
    assert hint in result.hint, result.message
    assert "Hint: " in result.message


def test_overflow_is_reported_not_warned(recwarn):
    check_softmax(softmax_without_max)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("broken, problem", [
    (lambda z: None, "None (did you forget `return`?)"),
    (lambda z: softmax_right(z).tolist(), "got a list"),
    (lambda z: softmax_right(z)[:, :-1], "expected shape"),
    (lambda z: softmax_right(z).ravel(), "expected shape"),
    (lambda z: 1 / 0, "raised ZeroDivisionError"),
    (lambda z: undefined_name, "raised NameError"),  # noqa: F821
])
def test_broken_softmax_is_reported_without_crashing(broken, problem):
    result = check_softmax(broken)
    assert not result.passed and problem in result.message


def test_list_and_shape_get_hints():
    assert "not a list" in check_softmax(lambda z: softmax_right(z).tolist()).hint
    assert "same shape as z" in check_softmax(lambda z: softmax_right(z).ravel()).hint


def test_not_implemented_softmax_says_so():
    def stub(z):
        raise NotImplementedError("compute the row-wise softmax")
    result = check_softmax(stub)
    assert not result.passed and "not implemented yet" in result.message


def test_student_input_changes_do_not_leak():
    def mutating(z):
        z -= z.max(axis=1, keepdims=True)  # in place: fine for the student, invisible to the reference
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)
    assert check_softmax(mutating).passed


# ---------------------------------------------------------------------------------------------
# softmax_cross_entropy_delta

def delta_right(a, y):
    return (a - y) / len(a)


@pytest.mark.parametrize("wrong, hint", [
    (lambda a, y: a - y, "divide by m = len(a)"),
    (lambda a, y: (y - a) / len(a), "the sign is flipped: delta"),
    (lambda a, y: y - a, "the sign is flipped and the 1/m is missing"),
    (lambda a, y: (a - y) / a.shape[1], "divided by the number of classes"),
    (lambda a, y: (a - y) * a * (1 - a) / len(a), "drop the factor a (1 - a)"),
    (lambda a, y: (a - y) * a * (1 - a), "drop the factor a (1 - a) (the derivative cancels) and divide by m"),
])
def test_typical_delta_mistakes_get_their_hint(wrong, hint):
    result = check_softmax_cross_entropy_delta(wrong)
    assert not result.passed
    assert hint in result.hint, result.message


def test_right_delta_passes():
    result = check_softmax_cross_entropy_delta(delta_right)
    assert result.passed, result.message
    assert result.message == "✓ softmax_cross_entropy_delta: all 5 cases pass"


@pytest.mark.parametrize("broken, problem", [
    (lambda a, y: None, "None (did you forget `return`?)"),
    (lambda a, y: delta_right(a, y).tolist(), "got a list"),
    (lambda a, y: delta_right(a, y).sum(axis=1), "expected shape"),
    (lambda a, y: a @ y, "raised ValueError"),
])
def test_broken_delta_is_reported_without_crashing(broken, problem):
    result = check_softmax_cross_entropy_delta(broken)
    assert not result.passed and problem in result.message
