"""Chapter 09 checkers: correct dropout and shift implementations pass; each typical mistake fails with the
hint that names it; whatever a student's function does (raise, return None, a wrong shape) is reported."""
import numpy as np
import pytest

from nnlib.exercises.ch09 import check_dropout_backward, check_dropout_forward, check_shift_batch
from nnlib.layers import dropout_backward, dropout_forward


def forward_variant(*, scale="inverted", drop_above=False, one_row=False, in_place=False, dtype_fix=True,
                    global_rng=False, fixed_seed=False, no_mask=False):
    """A student's dropout_forward with one typical mistake switched on."""
    def forward(A, p_drop, rng):
        keep = 1 - p_drop
        if global_rng:
            draws = np.random.random(A.shape)
        elif fixed_seed:
            draws = np.random.default_rng(0).random(A.shape)
        else:
            draws = rng.random(A.shape[1:] if one_row else A.shape)
        kept = draws < p_drop if drop_above else draws < keep  # the mistake keeps with probability p_drop
        factor = {"inverted": 1 / keep, "none": 1.0, "p": 1 / p_drop if p_drop else 1.0, "keep": keep}[scale]
        mask = kept * factor
        if dtype_fix:
            mask = mask.astype(A.dtype)
        if in_place:
            A *= mask
            out = A
        else:
            out = A * mask
        return out if no_mask else (out, mask)
    return forward


def test_nnlibs_dropout_passes():
    result = check_dropout_forward(dropout_forward)
    assert result.passed, result.message
    assert result.message == "✓ dropout_forward: all 5 cases pass"
    assert check_dropout_backward(dropout_backward).passed


def test_a_correct_student_version_passes():
    assert check_dropout_forward(forward_variant()).passed, check_dropout_forward(forward_variant()).message


@pytest.mark.parametrize("mistake, hint_words", [
    (dict(scale="none"), "scales the kept units by 1/(1 - p_drop)"),
    (dict(scale="p"), "divide by the probability of KEEPING a unit"),
    (dict(scale="keep"), "old (non-inverted) scaling"),
    (dict(drop_above=True), "keep it when the random number is below"),
    (dict(one_row=True), "drops the same units in every example"),
    (dict(in_place=True), "`A *= mask` also changes the activations"),
    (dict(dtype_fix=False), "keep A's dtype"),
    (dict(global_rng=True), "not from np.random"),
    (dict(fixed_seed=True), "a fixed seed inside the function"),
    (dict(no_mask=True), "return both the output and the mask"),
])
def test_typical_dropout_forward_mistakes_fail_with_the_right_hint(mistake, hint_words):
    result = check_dropout_forward(forward_variant(**mistake))
    assert not result.passed
    assert result.hint is not None and hint_words in result.hint, result.message
    assert hint_words in result.message


def test_dtype_mistake_is_caught_on_the_float32_case():
    assert "float32" in check_dropout_forward(forward_variant(dtype_fix=False)).case


@pytest.mark.parametrize("student, words", [
    (lambda A, p, rng: (_ for _ in ()).throw(NotImplementedError("write it")), "not implemented yet"),
    (lambda A, p, rng: None, "did you forget `return`"),
    (lambda A, p, rng: (A, None), "mask should be a NumPy array"),
    (lambda A, p, rng: (A, A[:1]), "mask has shape"),
    (lambda A, p, rng: 1 / 0, "raised ZeroDivisionError"),
])
def test_anything_a_student_forward_does_is_reported(student, words):
    result = check_dropout_forward(student)
    assert not result.passed and words in result.message


@pytest.mark.parametrize("student, hint_words", [
    (lambda dout, mask: dout, "the gradient must be masked too"),
    (lambda dout, mask: dout * (mask > 0), "not by (mask > 0)"),
    (lambda dout, mask: mask.copy(), "that is the mask alone"),
    (lambda dout, mask: dout * mask / 0.5, "the scale is applied twice"),
    (lambda dout, mask: dout * mask * mask.max(), "the scale is applied twice"),
    (lambda dout, mask: dout * (mask == 0), "through the DROPPED units"),
])
def test_typical_dropout_backward_mistakes_fail_with_the_right_hint(student, hint_words):
    result = check_dropout_backward(student)
    assert not result.passed
    assert result.hint is not None and hint_words in result.hint, result.message


def test_dropout_backward_stub_and_crash_are_reported():
    def stub(dout, mask):
        raise NotImplementedError("write it")
    assert "not implemented yet" in check_dropout_backward(stub).message
    assert "raised IndexError" in check_dropout_backward(lambda dout, mask: dout[99, 99]).message


# -- shift --------------------------------------------------------------------------------------------


def shift_batch(X, dx, dy):
    images = X.reshape(len(X), 28, 28)
    out = np.zeros_like(images)
    h, w = 28 - abs(dy), 28 - abs(dx)
    if h > 0 and w > 0:
        out[:, max(dy, 0):max(dy, 0) + h, max(dx, 0):max(dx, 0) + w] = \
            images[:, max(-dy, 0):max(-dy, 0) + h, max(-dx, 0):max(-dx, 0) + w]
    return out.reshape(len(X), -1)


def test_a_correct_shift_passes():
    result = check_shift_batch(shift_batch)
    assert result.passed, result.message
    assert result.message == "✓ shift_batch: all 7 cases pass"


def test_nnlibs_bilinear_shift_passes_too():
    from nnlib.augment import shift
    assert check_shift_batch(shift).passed


def rolled(X, dx, dy):
    return np.roll(X.reshape(len(X), 28, 28), (dy, dx), axis=(1, 2)).reshape(len(X), -1)


def in_place(X, dx, dy):
    X[...] = shift_batch(X, dx, dy)
    return X


def positive_only(X, dx, dy):
    images = X.reshape(len(X), 28, 28)
    out = np.zeros_like(images)
    out[:, dy:, dx:] = images[:, :28 - dy, :28 - dx]
    return out.reshape(len(X), -1)


@pytest.mark.parametrize("student, hint_words", [
    (rolled, "np.roll wraps pixels around"),
    (lambda X, dx, dy: np.roll(X, dx + 28 * dy, axis=1), "rolling the flat row of 784 pixels"),
    (lambda X, dx, dy: shift_batch(X, dy, dx), "dx and dy are swapped"),
    (lambda X, dx, dy: shift_batch(X, -dx, -dy), "the image moved the opposite way"),
    (lambda X, dx, dy: shift_batch(X, dx, dy).reshape(len(X), 28, 28), "return rows of 784 pixels"),
    (in_place, "changed its input X"),
    (lambda X, dx, dy: shift_batch(X, dx, dy).astype(np.float64), "keep the input's dtype"),
    (lambda X, dx, dy: np.zeros(X.shape) + shift_batch(X, dx, dy), "keep the input's dtype"),
])
def test_typical_shift_mistakes_fail_with_the_right_hint(student, hint_words):
    result = check_shift_batch(student)
    assert not result.passed
    assert result.hint is not None and hint_words in result.message, result.message


@pytest.mark.parametrize("student, words", [
    (positive_only, "failed on case 'a batch of 4 random images, up and left"),
    (lambda X, dx, dy: None, "did you forget `return`"),
    (lambda X, dx, dy: X, "values differ"),
    (lambda X, dx, dy: X[:, :100], "expected shape (1, 784)"),
])
def test_other_shift_failures_are_reported(student, words):
    result = check_shift_batch(student)
    assert not result.passed and words in result.message, result.message


def test_shift_stub_is_reported_as_not_implemented():
    def stub(X, dx, dy):
        raise NotImplementedError("write it")
    assert "not implemented yet" in check_shift_batch(stub).message
