"""Chapter 09 checkers: typical wrong dropout and shift implementations get the hint that names their
mistake, unusual correct ones pass, and whatever a student's function does (raise, return None, change its
input) is reported."""
import numpy as np
import pytest

from exercise_catalogue import MIN_RIGHT, MIN_WRONG, as_float32, assert_right, assert_wrong
import nnlib.augment
from nnlib.analysis import shift_images as nnlib_shift_images
from nnlib.augment import shift as nnlib_bilinear_shift
from nnlib.exercises import hint
from nnlib.exercises.ch09 import (check_dropout_backward, check_dropout_forward, check_shift_batch,
                                  library_shifts_called)
from nnlib.layers import dropout_backward as nnlib_dropout_backward
from nnlib.layers import dropout_forward as nnlib_dropout_forward


def named(name, fn):
    fn.__name__ = name
    return fn


# -- dropout_forward ---------------------------------------------------------------------------

def forward(A, p_drop, rng, *, scale="inverted", drop_above=False, draw_shape="full", in_place=False,
            keep_dtype=True, generator="rng", result="tuple", fair_coin=False, boolean_mask=False):
    """A student's dropout_forward; each keyword makes one classic mistake."""
    keep = 1 - p_drop
    shape = {"full": A.shape, "row": A.shape[1:], "column": (len(A), 1), "scalar": None}[draw_shape]
    if generator == "np.random":
        draws = np.random.random(shape)
    elif generator == "fixed seed":
        draws = np.random.default_rng(0).random(shape)
    elif fair_coin:
        draws = rng.integers(0, 2, shape) * 0.999
    else:
        draws = rng.random(shape)
    kept = draws < p_drop if drop_above else draws < keep
    factor = {"inverted": 1 / keep, "none": 1.0, "p": 1 / p_drop if p_drop else 1.0, "keep": keep}[scale]
    mask = kept * factor
    if keep_dtype:
        mask = np.asarray(mask).astype(A.dtype)
    if in_place:
        A *= mask
        out = A
    else:
        out = A * mask
    if boolean_mask:
        mask = kept
    return {"tuple": (out, mask), "list": [out, mask], "swapped": (mask, out), "out only": out}[result]


def forward_variant(name, **mistake):
    return named(name, lambda A, p_drop, rng: forward(A, p_drop, rng, **mistake))


def forward_binomial(A, p_drop, rng):
    """Correct: the kept units as Bernoulli draws, the mask built in A's dtype from the start."""
    keep = 1 - p_drop
    mask = rng.binomial(1, keep, size=A.shape).astype(A.dtype) / A.dtype.type(keep)
    return A * mask, mask


def forward_where(A, p_drop, rng):
    """Correct: np.where on 'dropped' draws (number >= p_drop keeps), out computed without the mask."""
    kept = rng.uniform(size=A.shape) >= p_drop
    out = np.where(kept, A / (1 - p_drop), 0).astype(A.dtype)
    return out, np.where(kept, 1 / (1 - p_drop), 0.0)


FORWARD_WRONG = [
    (forward_variant("not_rescaled", scale="none"), "scales the kept units by 1/(1 - p_drop)"),
    (forward_variant("divides_by_p", scale="p"), "divide by the probability of KEEPING a unit"),
    (forward_variant("multiplies_by_keep", scale="keep"), "old (non-inverted) scaling"),
    (forward_variant("drops_with_1_minus_p", drop_above=True), "keep it when its random number is below"),
    (forward_variant("one_mask_row", draw_shape="row"), "drops the same units in every example"),
    (forward_variant("one_number_per_example", draw_shape="column"), "keeps a whole example"),
    (forward_variant("one_coin_for_the_batch", draw_shape="scalar"), "one random number for the whole batch"),
    (forward_variant("in_place", in_place=True), "`A *= mask` also changes the activations"),
    (forward_variant("float64_mask", keep_dtype=False), "keep A's dtype"),
    (forward_variant("global_random", generator="np.random"), "not from np.random"),
    (forward_variant("fixed_seed", generator="fixed seed"), "a fixed seed inside the function"),
    (forward_variant("no_mask_returned", result="out only"), "return both the output and the mask"),
    (forward_variant("returns_list", result="list"), "not a list"),
    (forward_variant("mask_first", result="swapped"), "in the order (out, mask)"),
    (forward_variant("boolean_mask", boolean_mask=True), "return the scaled mask"),
    (forward_variant("fair_coin", fair_coin=True), "a fair coin"),
    # nnlib's own dropout is right, but the exercise is to write one (the chapter imports it as nnlib_dropout)
    (named("calls_nnlib", nnlib_dropout_forward), "write it yourself"),
    (named("calls_nnlib_via_alias", lambda A, p_drop, rng: nnlib_dropout_forward(A.copy(), p_drop, rng)),
     "write it yourself"),
]


def forward_float32_draws(A, p_drop, rng):
    """Correct: float32 random numbers (half the memory of float64 ones), the mask in A's dtype."""
    keep = 1.0 - p_drop
    mask = (rng.random(A.shape, dtype=np.float32) < keep).astype(A.dtype) / A.dtype.type(keep)
    return A * mask, mask


FORWARD_RIGHT = [forward_variant("plain"), forward_float32_draws, forward_binomial, forward_where]


@pytest.mark.parametrize("wrong, phrase", FORWARD_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_dropout_forward_mistakes_are_named(wrong, phrase):
    assert_wrong(check_dropout_forward, wrong, phrase)


@pytest.mark.parametrize("right", FORWARD_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_dropout_forward_passes(right):
    assert_right(check_dropout_forward, right)


def test_dtype_mistake_is_caught_on_the_float32_case():
    assert "float32" in check_dropout_forward(forward_variant("float64", keep_dtype=False)).case


@pytest.mark.parametrize("student, words", [
    (lambda A, p, rng: None, "returned None"),
    (lambda A, p, rng: (A, None), "mask should be a NumPy array"),
    (lambda A, p, rng: (A, A[:1]), "mask has shape"),
    (lambda A, p, rng: 1 / 0, "raised ZeroDivisionError"),
])
def test_anything_a_student_forward_does_is_reported(student, words):
    result = check_dropout_forward(student)
    assert not result.passed and words in result.message and "Stuck? hint(\"dropout_forward\", 1)" in result.message


def test_a_forward_that_raises_names_the_students_line():
    def student(A, p_drop, rng):
        mask = rng.random(A.shape) < 1 - p_drop
        return A * mask[:, :, 0], mask
    result = check_dropout_forward(student)
    assert "raised IndexError" in result.message and "mask[:, :, 0]" in result.message


def test_dividing_by_zero_at_p_drop_0_is_explained():
    def student(A, p_drop, rng):
        mask = (rng.random(A.shape) >= p_drop) / (1 - p_drop) * (p_drop / p_drop)
        return A * mask, mask
    result = check_dropout_forward(student)
    assert not result.passed and "p_drop = 0" in result.case and "divided by zero" in result.hint


def test_forward_stub_is_not_implemented_yet():
    def stub(A, p_drop, rng):
        raise NotImplementedError("return the output and the mask")
    result = check_dropout_forward(stub)
    assert not result.passed and "not implemented yet" in result.message and "Stuck?" not in result.message


# -- dropout_backward --------------------------------------------------------------------------

def backward_in_place(dout, mask):
    dout *= mask
    return dout


BACKWARD_WRONG = [
    (named("unmasked", lambda dout, mask: dout), "the gradient must be masked too"),
    (named("boolean_mask", lambda dout, mask: dout * (mask > 0)), "not by (mask > 0)"),
    (named("mask_alone", lambda dout, mask: mask.copy()), "that is the mask alone"),
    (named("divides_by_keep_again", lambda dout, mask: dout * mask / 0.5), "the scale is applied twice"),
    (named("scale_twice", lambda dout, mask: dout * mask * mask.max()), "the scale is applied twice"),
    (named("through_dropped", lambda dout, mask: dout * (mask == 0)), "through the DROPPED units"),
    (named("divides_by_mask", lambda dout, mask: dout / mask), "dout TIMES the mask"),
    (named("matrix_product", lambda dout, mask: dout @ mask.T), "that is a matrix product"),
    (named("np_dot", lambda dout, mask: np.dot(dout, mask)), "that is a matrix product"),
    (named("returns_tuple", lambda dout, mask: (dout * mask, mask)), "return the gradient array alone"),
    (named("minus_sign", lambda dout, mask: -dout * mask), "the sign flipped"),
    (backward_in_place, "instead of changing dout"),
    (named("calls_nnlib", nnlib_dropout_backward), "write it yourself"),
]


def backward_where(dout, mask):
    """Correct: where a unit was kept, dout times the one scale every kept unit shares."""
    return np.where(mask > 0, dout * (mask.max() if mask.max() > 0 else 1.0), 0.0).astype(dout.dtype)


def backward_loop(dout, mask):
    """Correct: one entry at a time."""
    dA = np.empty_like(dout)
    for i, j in np.ndindex(dout.shape):
        dA[i, j] = dout[i, j] * mask[i, j]
    return dA


def backward_product(dout, mask):
    """Correct: the product itself."""
    return dout * mask


BACKWARD_RIGHT = [backward_product, named("np_multiply", lambda dout, mask: np.multiply(dout, mask)),
                  backward_where, backward_loop, as_float32(backward_product)]


@pytest.mark.parametrize("wrong, phrase", BACKWARD_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_dropout_backward_mistakes_are_named(wrong, phrase):
    assert_wrong(check_dropout_backward, wrong, phrase)


@pytest.mark.parametrize("right", BACKWARD_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_dropout_backward_passes(right):
    assert_right(check_dropout_backward, right)


def test_dropout_backward_stub_and_crash_are_reported():
    def stub(dout, mask):
        raise NotImplementedError("write it")
    assert "not implemented yet" in check_dropout_backward(stub).message
    crashed = check_dropout_backward(lambda dout, mask: dout[99, 99])
    assert "raised IndexError" in crashed.message and "dout[99, 99]" in crashed.message


# -- shift_batch -------------------------------------------------------------------------------

def shift_right(X, dx, dy):
    images = X.reshape(len(X), 28, 28)
    out = np.zeros_like(images)
    h, w = 28 - abs(dy), 28 - abs(dx)
    if h > 0 and w > 0:
        out[:, max(dy, 0):max(dy, 0) + h, max(dx, 0):max(dx, 0) + w] = \
            images[:, max(-dy, 0):max(-dy, 0) + h, max(-dx, 0):max(-dx, 0) + w]
    return out.reshape(len(X), -1)


def rolled(X, dx, dy):
    return np.roll(X.reshape(len(X), 28, 28), (dy, dx), axis=(1, 2)).reshape(len(X), -1)


def flat_roll(X, dx, dy):
    return np.roll(X, dx + 28 * dy, axis=1)


def in_place(X, dx, dy):
    X[...] = shift_right(X, dx, dy)
    return X


def positive_only(X, dx, dy):
    images = X.reshape(len(X), 28, 28)
    out = np.zeros_like(images)
    out[:, dy:, dx:] = images[:, :28 - dy, :28 - dx]
    return out.reshape(len(X), -1)


def minus_zero_slices(X, dx, dy):
    images = X.reshape(len(X), 28, 28)
    out = np.zeros_like(images)
    out[:, dy:, dx:] = images[:, :-dy, :-dx]
    return out.reshape(len(X), -1)


def one_image_reshape(X, dx, dy):
    image = X.reshape(28, 28)
    out = np.zeros_like(image)
    out[max(dy, 0):28 + min(dy, 0), max(dx, 0):28 + min(dx, 0)] = \
        image[max(-dy, 0):28 + min(-dy, 0), max(-dx, 0):28 + min(-dx, 0)]
    return out.reshape(1, 784)


def integer_zeros(X, dx, dy):
    out = np.zeros(X.shape, dtype=int)
    out[...] = shift_right(X, dx, dy)
    return out


SHIFT_WRONG = [
    (rolled, "np.roll wraps pixels around"),
    (flat_roll, "rolling the flat row of 784 pixels"),
    (named("swapped", lambda X, dx, dy: shift_right(X, dy, dx)), "dx and dy are swapped"),
    (named("opposite_way", lambda X, dx, dy: shift_right(X, -dx, -dy)), "the image moved the opposite way"),
    (named("returns_images", lambda X, dx, dy: shift_right(X, dx, dy).reshape(len(X), 28, 28)),
     "return rows of 784 pixels"),
    (in_place, "instead of changing X"),
    (named("float64_result", lambda X, dx, dy: shift_right(X, dx, dy).astype(np.float64)), "keep the input's dtype"),
    (named("zeros_of_default_dtype", lambda X, dx, dy: np.zeros(X.shape) + shift_right(X, dx, dy)),
     "np.zeros_like(images) instead of np.zeros(shape)"),
    (integer_zeros, "integer dtype"),
    (positive_only, "at a NEGATIVE shift"),
    (minus_zero_slices, "which is EMPTY"),
    (one_image_reshape, "X holds m images"),
    # nnlib's own shifts give the right pixels, but the exercise is to write one
    (named("calls_nnlib_shift", lambda X, dx, dy: nnlib_bilinear_shift(X, dx, dy)), "write the shift yourself"),
    (named("calls_shift_images", lambda X, dx, dy: nnlib_shift_images(X, rows=dy, cols=dx)),
     "write the shift yourself"),
    (named("calls_affine_via_module", lambda X, dx, dy: nnlib.augment.affine(X, dx=dx, dy=dy)),
     "write the shift yourself"),
    (named("shift_with_a_copy_first", lambda X, dx, dy: nnlib_bilinear_shift(X.copy(), dx, dy).astype(X.dtype)),
     "write the shift yourself"),
]


def shift_padded(X, dx, dy):
    """Correct: pad every image by 28 zeros on each side, then cut the shifted 28x28 window."""
    images = np.pad(X.reshape(len(X), 28, 28), ((0, 0), (28, 28), (28, 28)))
    return images[:, 28 - dy:56 - dy, 28 - dx:56 - dx].reshape(len(X), -1).copy()


def shift_roll_then_clear(X, dx, dy):
    """Correct: roll, then zero the rows and columns that wrapped around."""
    out = np.roll(X.reshape(len(X), 28, 28), (dy, dx), axis=(1, 2))
    if dy > 0:
        out[:, :dy] = 0
    elif dy < 0:
        out[:, dy:] = 0
    if dx > 0:
        out[:, :, :dx] = 0
    elif dx < 0:
        out[:, :, dx:] = 0
    return out.reshape(len(X), -1)


def shift_pixel_loop(X, dx, dy):
    """Correct: one output pixel at a time, reading the input pixel it came from."""
    images, out = X.reshape(len(X), 28, 28), np.zeros((len(X), 28, 28), dtype=X.dtype)
    for i in range(28):
        for j in range(28):
            if 0 <= i - dy < 28 and 0 <= j - dx < 28:
                out[:, i, j] = images[:, i - dy, j - dx]
    return out.reshape(len(X), 784)


def shift_by_index(X, dx, dy):
    """Correct: every output pixel reads the input pixel (i - dy, j - dx) through index arrays, 0 outside."""
    images = X.reshape(len(X), 28, 28)
    rows, cols = np.arange(28)[:, None] - dy, np.arange(28)[None, :] - dx
    inside = (rows >= 0) & (rows < 28) & (cols >= 0) & (cols < 28)
    out = images[:, np.clip(rows, 0, 27), np.clip(cols, 0, 27)] * inside
    return out.astype(X.dtype).reshape(len(X), -1)


SHIFT_RIGHT = [shift_right, shift_padded, shift_roll_then_clear, shift_pixel_loop, shift_by_index]


@pytest.mark.parametrize("wrong, phrase", SHIFT_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_shift_mistakes_are_named(wrong, phrase):
    assert_wrong(check_shift_batch, wrong, phrase)


@pytest.mark.parametrize("right", SHIFT_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_shift_passes(right):
    assert_right(check_shift_batch, right)


@pytest.mark.parametrize("student, words", [
    (lambda X, dx, dy: None, "returned None"),
    (lambda X, dx, dy: X, "values differ"),
    (lambda X, dx, dy: X[:, :100], "expected shape (1, 784)"),
    (lambda X, dx, dy: "shifted", "the string 'shifted'"),
])
def test_other_shift_failures_are_reported(student, words):
    result = check_shift_batch(student)
    assert not result.passed and words in result.message, result.message


def test_positive_only_fails_first_on_the_negative_case():
    assert check_shift_batch(positive_only).case.startswith("a batch of 4 random images, up and left")


def test_a_library_dropout_is_named_in_the_report():
    result = check_dropout_forward(nnlib_dropout_forward)
    assert "calls nnlib.layers.dropout_forward" in result.message and result.case.startswith("a (200, 500)")
    assert "calls nnlib.layers.dropout_backward" in check_dropout_backward(nnlib_dropout_backward).message


def test_a_library_shift_is_named_in_the_report():
    result = check_shift_batch(lambda X, dx, dy: nnlib_bilinear_shift(X, dx, dy))
    assert "calls nnlib.augment.shift" in result.message and result.case.startswith("by hand")
    assert library_shifts_called(shift_right, (np.zeros((1, 784)), 1, 0)) == []


def test_a_library_call_is_seen_however_it_was_imported():
    import nnlib.analysis as analysis_module

    def via_alias(X, dx, dy):
        move = analysis_module.shift_images
        return move(X, rows=dy, cols=dx)
    assert library_shifts_called(via_alias, (np.zeros((2, 784)), 1, 1)) == ["nnlib.analysis.shift_images"]


def test_an_active_profiler_is_restored_and_the_call_still_watched(monkeypatch):
    """A profiler set before (a student's own, to hide a call, or cProfile) does not switch the watch off,
    and it is put back afterwards."""
    import sys
    profiler = lambda frame, event, arg: None  # noqa: E731
    sys.setprofile(profiler)
    try:
        assert library_shifts_called(nnlib_bilinear_shift, (np.zeros((1, 784)), 1, 0)) != []
        assert sys.getprofile() is profiler
    finally:
        sys.setprofile(None)


def test_shift_stub_is_reported_as_not_implemented():
    def stub(X, dx, dy):
        raise NotImplementedError("write it")
    assert "not implemented yet" in check_shift_batch(stub).message


# -- the harness around them -------------------------------------------------------------------

@pytest.mark.parametrize("name", ["dropout_forward", "dropout_backward", "shift_batch"])
def test_hints_come_in_steps_ending_with_the_formula(name):
    first, last = hint(name, 1), hint(name, 3)
    assert first.startswith(f"Hint 1 of 3 for {name}:") and f'hint("{name}", 2)' in first
    assert last.startswith(f"Hint 3 of 3 for {name}:") and "return" in last


def test_catalogue_is_broad_enough():
    for wrong, right in [(FORWARD_WRONG, FORWARD_RIGHT), (BACKWARD_WRONG, BACKWARD_RIGHT), (SHIFT_WRONG, SHIFT_RIGHT)]:
        assert len(wrong) >= MIN_WRONG and len(right) >= MIN_RIGHT
