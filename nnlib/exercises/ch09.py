"""Checkers for the exercises of chapter 09 (generalization): inverted dropout and a whole-pixel shift.

    check_dropout_forward(fn)    fn(A, p_drop, rng) -> (out, mask): mask_ij = 1/(1 - p_drop) with probability
                                 1 - p_drop, else 0, drawn from rng; out = A * mask; A, out, mask: (m, n)
    check_dropout_backward(fn)   fn(dout, mask) -> dA = dout * mask, of shape (m, n)
    check_shift_batch(fn)        fn(X, dx, dy) -> every 28x28 image of X (m, 784) moved dx pixels right and dy
                                 down (negative: left / up), pixels pushed out lost, the uncovered border 0; a
                                 new (m, 784) array of X's dtype, written without nnlib's own shifts

A dropout mask is random, so check_dropout_forward does not compare with one reference mask: it checks, in
order, the properties every correct inverted dropout has (FORWARD_PROPERTIES: a tuple (out, mask) of A's
shape, A unchanged, out of A's dtype and equal to A * mask, mask values 0 and 1/(1 - p_drop), the right share
of zeros, drawn from the rng it is given). The other two compare with nnlib's result, and when a result is
wrong the diagnosis recomputes it the way each typical mistake does and names the one that matches.
nnlib already has all three (nnlib.layers.dropout_forward and dropout_backward; whole-pixel shifts in
nnlib.augment.shift and nnlib.analysis.shift_images), so every checker first runs the student's function under a
profile hook and fails it if it calls nnlib's own version, however it was imported: the exercise is to write
the function, not to find it.
Hints in steps: hint("dropout_forward", 1), hint("dropout_backward", 1), hint("shift_batch", 1).
"""
import copy

import numpy as np

from .. import augment, layers
from ..analysis import shift_images
from .harness import (Case, attempt, calls_the_answer, check_function, describe, failure, is_number, library_calls,
                      not_implemented, passed, raised, register_hints)

# -- nnlib's own versions, which a student's function must not call ----------------------------

# Watched by code object, so that every way of reaching them counts: `from nnlib.augment import shift`, a call
# through the module (nnlib.augment.affine(...)), an alias such as the chapter's nnlib_dropout.
LIBRARY_VERSIONS = {
    "dropout_forward": {layers.dropout_forward.__code__: "nnlib.layers.dropout_forward"},
    "dropout_backward": {layers.dropout_backward.__code__: "nnlib.layers.dropout_backward"},
    "shift_batch": {function.__code__: name for function, name in [
        (augment.shift, "nnlib.augment.shift"), (augment.affine, "nnlib.augment.affine"),
        (augment.resample, "nnlib.augment.resample"), (augment.Augmentation.__call__, "nnlib.augment.Augmentation"),
        (shift_images, "nnlib.analysis.shift_images")]},
}


def library_shifts_called(student_fn, args):
    """library_calls for shift_batch: which of nnlib's shift functions student_fn(*args) called."""
    return library_calls(student_fn, args, LIBRARY_VERSIONS["shift_batch"])


def calls_the_library(name, student_fn, cases, args_of=lambda case: case.args):
    """The failure report for the first case in which student_fn calls nnlib's own version of exercise `name`,
    or None if it calls none of them (harness.calls_the_answer)."""
    reported = {code: f"{library_name}, nnlib's own version" for code, library_name in LIBRARY_VERSIONS[name].items()}
    return calls_the_answer(name, student_fn, cases, reported, LIBRARY_ADVICE[name], args_of=args_of)


LIBRARY_ADVICE = {
    "dropout_forward": "write it yourself: draw the random numbers from rng and build the mask from them (nnlib's "
                       "version is the one the chapter uses, so calling it proves nothing)",
    "dropout_backward": "write it yourself: it is one line, the incoming gradient and the mask",
    "shift_batch": "write the shift yourself, with NumPy slicing: start from blank images and copy the block of "
                   "every image that stays inside the frame (the checker compares with nnlib's shift_images, so "
                   "calling it proves nothing)",
}


# -- dropout_forward ---------------------------------------------------------------------------

register_hints("dropout_forward", [
    "every unit of every example is kept or dropped on its own coin flip, drawn from the generator rng you "
    "are given; the kept units are scaled up so that the expected output is still A.",
    "draw one uniform number in [0, 1) per entry of A from rng; a unit is kept where its number is below "
    "1 - p_drop. The mask holds 1/(1 - p_drop) for a kept unit and 0 for a dropped one, in A's dtype; return "
    "the masked activations and the mask (the backward pass needs it).",
    "mask = ((rng.random(A.shape) < 1 - p_drop) / (1 - p_drop)).astype(A.dtype); return A * mask, mask",
])


def _dropout_cases():
    rng = np.random.default_rng(9)
    return [
        Case("a (200, 500) batch of ones, p_drop = 0.5", (np.ones((200, 500)), 0.5)),
        Case("a (300, 400) batch of random activations, p_drop = 0.2", (rng.random((300, 400)), 0.2)),
        Case("p_drop = 0.8: most units dropped", (rng.random((250, 400)) + 0.5, 0.8)),
        Case("p_drop = 0: nothing dropped, nothing rescaled", (rng.random((20, 30)), 0.0)),
        Case("float32 activations of shape (100, 300), p_drop = 0.3",
             (rng.random((100, 300)).astype(np.float32), 0.3)),
    ]


def _run_forward(student_fn, A, p_drop, seed):
    """Call the student's forward pass on a copy of A with a fresh generator: (A copy afterwards, Attempt)."""
    A_copy = A.copy()
    return A_copy, attempt(student_fn, (A_copy, p_drop, np.random.default_rng(seed)))


# Each property takes a Trial (the case, what the student's function returned and did) and returns
# (problem, hint) for the first way the result breaks it, or None. They run in this order, so that a later
# one may rely on the earlier ones (e.g. that mask is an array of A's shape).

class Trial:
    """One case of check_dropout_forward: the inputs, the student's (out, mask) and a way to call it again."""

    def __init__(self, student_fn, A, p_drop, A_seen, value):
        self.student_fn, self.A, self.p_drop, self.A_seen, self.value = student_fn, A, p_drop, A_seen, value
        self.keep = 1.0 - p_drop

    @property
    def out(self):
        """The student's first result: the activations after dropout, A's shape (m, n)."""
        return self.value[0]

    @property
    def mask(self):
        """The student's second result: the mask that multiplied A, A's shape (m, n)."""
        return self.value[1]

    def mask_again(self, seed):
        """The mask of another call with a generator seeded `seed` (None if that call fails)."""
        _, outcome = _run_forward(self.student_fn, self.A, self.p_drop, seed)
        value = outcome.value
        if outcome.error is not None or not isinstance(value, (tuple, list)) or len(value) != 2:
            return None
        return value[1]


def _returns_out_and_mask(trial):
    value = trial.value
    if isinstance(value, list) and len(value) == 2:
        return "returned a list", "return a tuple, e.g. `return out, mask`, not a list"
    if isinstance(value, tuple) and len(value) == 2:
        return None
    if value is None:
        return (f"expected a tuple (out, mask), got {describe(value)}",
                "your function returned None: finish it with a `return` line that hands back both the output "
                "and the mask")
    return (f"expected a tuple (out, mask), got {describe(value)}",
            "return both the output and the mask, `return out, mask`: the backward pass needs the mask")


def _leaves_A_unchanged(trial):
    if np.array_equal(trial.A_seen, trial.A):
        return None
    return ("your function changed its input A in place; the caller still needs it unchanged",
            "compute `A * mask` into a new array; `A *= mask` also changes the activations the caller still "
            "holds")


def _mask_has_A_shape(trial):
    A, mask, (m, n) = trial.A, trial.mask, trial.A.shape
    if is_number(mask) or (isinstance(mask, np.ndarray) and mask.size == 1):
        return (f"the mask is a single number ({describe(mask)}), expected an array of A's shape {A.shape}",
                "one random number for the whole batch keeps or drops every unit at once; draw one number per "
                "unit, an array of A's full shape")
    if not isinstance(mask, np.ndarray):
        return (f"mask should be a NumPy array of A's shape {A.shape}, got {describe(mask)}",
                "return the mask array itself as the second item: `return out, mask`")
    if mask.shape == A.shape:
        return None
    problem = f"mask has shape {mask.shape}, expected A's shape {A.shape}"
    if mask.shape in ((n,), (1, n)):
        return problem, ("one mask row for the whole batch drops the same units in every example; draw a mask of "
                         "A's full shape (m, n), so that every example gets its own thinned network")
    if mask.shape in ((m,), (m, 1)):
        return problem, ("one number per example drops or keeps a whole example; dropout decides for every unit "
                         "of every example: draw a mask of A's full shape (m, n)")
    return problem, None


def _mask_carries_the_scale(trial):
    if trial.mask.dtype != np.bool_:
        return None
    return ("the mask is an array of booleans (which units were kept)",
            "return the scaled mask, 1/(1 - p_drop) for a kept unit and 0 for a dropped one: the backward "
            "pass multiplies the gradient by it, scale included")


def _out_keeps_A_dtype(trial):
    out, A = trial.out, trial.A
    if not isinstance(out, np.ndarray) or out.shape != A.shape:
        return (f"out should be an array of A's shape {A.shape}, got {describe(out)}",
                "return the masked activations as the first item: `return A * mask, mask`")
    if out.dtype == A.dtype:
        return None
    return (f"out has dtype {out.dtype} but A has dtype {A.dtype}",
            "keep A's dtype: build the mask with `.astype(A.dtype)` (a float64 mask turns float32 activations "
            "into float64 and halves the speed)")


def _out_is_A_times_mask(trial):
    out, mask, A = trial.out, trial.mask, trial.A
    if np.allclose(out, A * mask, rtol=1e-5, atol=1e-7):
        return None
    if np.allclose(mask, A * out, rtol=1e-5, atol=1e-7):
        return "the first item is the mask, the second the output", "return them in the order (out, mask)"
    return "out is not A * mask", "the output must be exactly the activations times the mask you return"


def _mask_values(trial):
    """The mask holds only 0 and 1/(1 - p_drop) (only 1 for p_drop = 0)."""
    p_drop, keep, mask = trial.p_drop, trial.keep, trial.mask
    values = np.unique(np.round(np.asarray(mask, dtype=np.float64), 6))
    if p_drop == 0:
        if np.allclose(mask, 1.0):
            return None
        return ("with p_drop = 0 nothing may change, but the mask is not all ones",
                "with p_drop = 0 every unit is kept and the scale 1/(1 - p_drop) is 1")
    kept_value = values[-1] if values.size == 2 and values[0] == 0 else None
    if kept_value is not None and np.isclose(kept_value, 1 / keep, rtol=1e-4):
        return None
    if kept_value is not None and np.isclose(kept_value, 1.0):
        return ("the kept units are not rescaled: the mask holds 0 and 1",
                f"inverted dropout scales the kept units by 1/(1 - p_drop) = {1 / keep:.4g}, so that the "
                f"expected activation stays A and evaluation needs no change")
    if kept_value is not None and np.isclose(kept_value, 1 / p_drop, rtol=1e-4):
        return (f"the kept units are scaled by 1/p_drop = {1 / p_drop:.4g}",
                f"divide by the probability of KEEPING a unit, 1 - p_drop (here {keep:g}), not by p_drop")
    if kept_value is not None and np.isclose(kept_value, keep, rtol=1e-4):
        return (f"the kept units are multiplied by 1 - p_drop = {keep:g}",
                f"that is the old (non-inverted) scaling done at the wrong time: during training divide the "
                f"kept units by 1 - p_drop, i.e. multiply by {1 / keep:.4g}")
    return (f"the mask should hold only 0 and 1/(1 - p_drop) = {1 / keep:.4g}, but it holds "
            f"{', '.join(f'{v:.4g}' for v in values[:5])}{' ...' if values.size > 5 else ''}",
            "a unit is either dropped (0) or kept and scaled by 1/(1 - p_drop); nothing in between")


def _drops_the_right_share(trial):
    p_drop, keep = trial.p_drop, trial.keep
    if p_drop == 0:
        return None
    share = float(np.mean(trial.mask == 0))
    tolerance = 4 * np.sqrt(p_drop * keep / trial.mask.size) + 1e-3  # 4 standard deviations of the share
    if abs(share - p_drop) <= tolerance:
        return None
    problem = f"{share:.1%} of the units were dropped, expected about {p_drop:.0%}"
    if abs(share - keep) <= tolerance:
        return problem, (f"you drop a unit with probability 1 - p_drop: keep it when its random number is below "
                         f"1 - p_drop = {keep:g}, not above")
    if abs(share - 0.5) <= tolerance:
        return problem, ("a fair coin (e.g. rng.integers(0, 2)) drops half of the units whatever p_drop is; drop "
                         "each unit with probability p_drop")
    return problem, None


def _uses_the_rng(trial):
    if trial.p_drop == 0:  # every mask is all ones, whatever the generator
        return None
    again = trial.mask_again(seed=0)
    if again is None or not np.array_equal(again, trial.mask):
        return ("two calls with generators seeded alike gave different masks",
                "draw the random numbers from the `rng` argument, not from np.random, so that a seed makes "
                "training reproducible")
    other = trial.mask_again(seed=1)
    if other is not None and np.array_equal(other, trial.mask):
        return ("generators with different seeds gave the same mask",
                "draw the random numbers from the `rng` argument; a fixed seed inside the function gives every "
                "batch the same mask")
    return None


FORWARD_PROPERTIES = [_returns_out_and_mask, _leaves_A_unchanged, _mask_has_A_shape, _mask_carries_the_scale,
                      _out_keeps_A_dtype, _out_is_A_times_mask, _mask_values, _drops_the_right_share,
                      _uses_the_rng]


def check_dropout_forward(student_fn):
    """Check dropout_forward(A, p_drop, rng) -> (out, mask) on 5 cases by the properties of inverted dropout."""
    name = "dropout_forward"
    cases = _dropout_cases()
    uses_library = calls_the_library(name, student_fn, cases, lambda case: (*case.args, np.random.default_rng(0)))
    if uses_library is not None:  # (a CheckResult is falsy when it reports a failure)
        return uses_library
    for case in cases:
        A, p_drop = copy.deepcopy(case.args)
        A_seen, outcome = _run_forward(student_fn, A, p_drop, seed=0)
        if isinstance(outcome.error, NotImplementedError):
            return not_implemented(name, case)
        if outcome.error is not None:
            return failure(name, case, raised(outcome), _forward_error_hint(outcome.error, p_drop))
        trial = Trial(student_fn, A, p_drop, A_seen, outcome.value)
        for has_property in FORWARD_PROPERTIES:
            found = has_property(trial)
            if found:
                return failure(name, case, *found)
    return passed(name, len(cases))


def _forward_error_hint(error, p_drop):
    if isinstance(error, (ZeroDivisionError, FloatingPointError)) and p_drop == 0:
        return ("with p_drop = 0 you divided by zero: the scale is 1/(1 - p_drop), the probability of KEEPING "
                "a unit, which is 1 here")
    if "cast" in str(error):
        return ("an in-place product (A *= mask) cannot store the scaled values in A's dtype, and it changes the "
                "caller's array anyway: compute a new array, A * mask")
    return None


# -- dropout_backward --------------------------------------------------------------------------

register_hints("dropout_backward", [
    "out = A * mask is an element-by-element product: how much does out_ij change when A_ij changes, and "
    "what does that make of the gradient of a dropped unit?",
    "d out_ij / d A_ij = mask_ij: a dropped unit gets no gradient, a kept one gets dout scaled by the same "
    "1/(1 - p_drop) the forward pass used, which the mask already holds. Return a new array of dout's shape.",
    "return dout * mask",
])


def reference_dropout_backward(dout, mask):
    """dA = dout * mask: the gradient reaches only the kept units, with their scale 1/(1 - p_drop)."""
    return dout * mask


def _scale(mask):
    return mask.max() if mask.max() > 0 else 1.0


# (a function reproducing the mistake from (dout, mask), the hint naming it), most telling first
BACKWARD_MISTAKES = [
    (lambda dout, mask: dout,
     "the gradient must be masked too: units that were dropped in the forward pass get no gradient"),
    (lambda dout, mask: dout * (mask > 0),
     "the kept units were scaled by 1/(1 - p_drop) in the forward pass, so their gradient carries the same "
     "factor: multiply by the mask itself, not by (mask > 0)"),
    (lambda dout, mask: mask,
     "that is the mask alone: the gradient is the incoming dout times the mask"),
    (lambda dout, mask: dout * mask * _scale(mask),
     "the scale is applied twice (dividing by 1 - p_drop again?): the mask already holds 1/(1 - p_drop)"),
    (lambda dout, mask: dout * (mask == 0),
     "that passes the gradient through the DROPPED units: multiply by the mask (zero where dropped)"),
    (lambda dout, mask: -dout * mask,
     "the sign flipped: dout is already dC/d(out), so dA = dout times the mask, no minus sign"),
]


def diagnose_dropout_backward(args, got, expected, error=None):
    """Name the likely mistake in a dropout_backward result (or its exception), or None."""
    dout, mask = args
    if error is not None:
        if isinstance(error, FloatingPointError) and "divide" in str(error):
            return ("dividing by the mask divides by 0 at every dropped unit: the gradient is dout TIMES the "
                    "mask")
        if "aligned" in str(error) or "matmul" in str(error):
            return ("that is a matrix product: dropout multiplies element by element (out = A * mask), so its "
                    "gradient does too")
        return None
    if isinstance(got, (tuple, list)):
        return "return the gradient array alone, not a tuple or a list: the backward pass has one input, A"
    if not isinstance(got, np.ndarray):
        return None
    if got.shape != dout.shape:
        if got.shape in ((len(dout), len(dout)), (dout.shape[1], dout.shape[1])):
            return ("that is a matrix product: dropout multiplies element by element (out = A * mask), so its "
                    "gradient does too")
        return None
    for mistake, hint in BACKWARD_MISTAKES:
        if np.allclose(got, mistake(dout, mask)):
            return hint
    return None


def _backward_cases():
    rng = np.random.default_rng(4)
    mask = (rng.random((6, 8)) < 0.5) / 0.5
    sparse = (rng.random((5, 7)) < 0.2) / 0.2
    return [
        Case("by hand: dout [[1, 2, 3, 4]], mask [[2, 0, 2, 0]] (p_drop = 0.5)",
             (np.array([[1.0, 2.0, 3.0, 4.0]]), np.array([[2.0, 0.0, 2.0, 0.0]]))),
        Case("a (6, 8) gradient with a p_drop = 0.5 mask", (rng.normal(size=(6, 8)), mask)),
        Case("a (5, 7) gradient with a p_drop = 0.8 mask (scale 5)", (rng.normal(size=(5, 7)), sparse)),
        Case("p_drop = 0: a mask of ones passes the gradient unchanged", (rng.normal(size=(3, 4)), np.ones((3, 4)))),
        Case("float32, (4, 6), p_drop = 0.3", (rng.normal(size=(4, 6)).astype(np.float32),
                                               ((rng.random((4, 6)) < 0.7) / 0.7).astype(np.float32))),
    ]


def check_dropout_backward(student_fn):
    """Check dropout_backward(dout, mask) -> dA on 5 cases against dA = dout * mask."""
    cases = _backward_cases()
    uses_library = calls_the_library("dropout_backward", student_fn, cases)
    if uses_library is not None:  # (a CheckResult is falsy when it reports a failure)
        return uses_library
    return check_function("dropout_backward", student_fn, cases, reference_dropout_backward,
                          diagnose_dropout_backward, arg_names=["dout", "mask"])


# -- shift_batch -------------------------------------------------------------------------------

register_hints("shift_batch", [
    "work on the images as an (m, 28, 28) array. The result starts as all-zero images of the same shape and "
    "dtype, and the part of each input image that is still inside the frame after the move is copied in.",
    "moving dx pixels right means that output column j + dx holds input column j, so for dx >= 0 the block "
    "copied is the input's first 28 - dx columns; for dx < 0 it starts at column -dx. Rows work the same "
    "way with dy. Beware of slices like :-dx, which are empty for dx = 0. Flatten back to (m, 784).",
    "images = X.reshape(len(X), 28, 28); out = np.zeros_like(images); h, w = 28 - abs(dy), 28 - abs(dx); "
    "if h > 0 and w > 0: out[:, max(dy, 0):max(dy, 0) + h, max(dx, 0):max(dx, 0) + w] = "
    "images[:, max(-dy, 0):max(-dy, 0) + h, max(-dx, 0):max(-dx, 0) + w]; return out.reshape(len(X), -1)",
])


def reference_shift_batch(X, dx, dy):
    """Every image of X (m, 784) moved dx pixels right and dy down, zeros filled in (nnlib.analysis)."""
    return shift_images(X, rows=dy, cols=dx)


def _as_images(X):
    return X.reshape(len(X), 28, 28)


# (a function reproducing the mistake from (X, dx, dy) as (m, 28, 28) images, the hint naming it)
SHIFT_MISTAKES = [
    (lambda X, dx, dy: np.roll(_as_images(X), (dy, dx), axis=(1, 2)),
     "np.roll wraps pixels around to the other side; a shift must fill the uncovered border with 0 (start from "
     "zeros and copy the overlapping block)"),
    (lambda X, dx, dy: _as_images(np.roll(X, dx + 28 * dy, axis=1)),
     "rolling the flat row of 784 pixels moves pixels from one image row into the next; shift the 28x28 images "
     "(reshape to (m, 28, 28) first) and fill with 0"),
    (lambda X, dx, dy: _as_images(shift_images(X, rows=dx, cols=dy)),
     "dx and dy are swapped: dx moves along the columns (axis 2 of (m, 28, 28), to the right), dy along the "
     "rows (axis 1, down)"),
    (lambda X, dx, dy: _as_images(shift_images(X, rows=-dy, cols=-dx)),
     "the image moved the opposite way: dx > 0 moves it RIGHT, so output column j + dx holds input column j"),
]


def diagnose_shift_batch(args, got, expected, error=None):
    """Name the likely mistake in a shift_batch result (or its exception), or None."""
    X, dx, dy = args
    if error is not None:
        return _shift_error_hint(error, X, dx, dy)
    if not isinstance(got, np.ndarray):
        return None
    m = len(X)
    if got.shape == (m, 28, 28):
        return "return rows of 784 pixels like the input: reshape the result with .reshape(len(X), -1)"
    if got.shape != X.shape:
        return None
    if np.issubdtype(got.dtype, np.integer) and np.issubdtype(X.dtype, np.floating):
        return (f"your result has the integer dtype {got.dtype}, which cuts pixel values between 0 and 1 down to "
                f"0: keep the input's dtype ({X.dtype}), e.g. with np.zeros_like(images)")
    if (dx, dy) != (0, 0):
        for mistake, hint in SHIFT_MISTAKES:
            if np.allclose(got.reshape(m, 28, 28), mistake(X, dx, dy)):
                return hint
    return None


def _shift_error_hint(error, X, dx, dy):
    message = str(error)
    if "reshape" in message and "(28,28)" in message.replace(" ", ""):
        return ("X holds m images, one per row: reshape to (len(X), 28, 28), not (28, 28), and back to "
                "(len(X), 784) at the end")
    if "broadcast" in message:
        if 0 in (dx, dy):
            return ("the two blocks have different shapes; with a shift of 0 a slice like :-dx or :-dy is :-0, "
                    "which is EMPTY (the same as :0): use :28 - dx (or max/min) instead of :-dx")
        if dx < 0 or dy < 0:
            return ("the two blocks have different shapes at a NEGATIVE shift: moving left or up copies input "
                    "columns (rows) from -dx (-dy) on into output columns from 0 on; slices that only work "
                    "for dx, dy >= 0 do not")
        return ("the block you copy from the input and the block you write into must both be "
                "(28 - |dy|) x (28 - |dx|) pixels")
    return None


def _shift_cases():
    rng = np.random.default_rng(5)
    square = np.zeros((1, 28, 28))
    square[0, 10:13, 12:15] = 1.0
    digits = rng.random((4, 784)) * (rng.random((4, 784)) < 0.3)
    full = np.ones((2, 784))
    return [
        Case("by hand: a 3x3 square at rows 10-12, columns 12-14, one pixel right (dx=1, dy=0)",
             (square.reshape(1, 784), 1, 0)),
        Case("the same square two pixels down (dx=0, dy=2)", (square.reshape(1, 784), 0, 2)),
        Case("a batch of 4 random images, up and left (dx=-3, dy=-1)", (digits, -3, -1)),
        Case("all-ink images moved right by 2 and down by 1: the uncovered border must be 0, no wrap-around",
             (full, 2, 1)),
        Case("no shift at all (dx=0, dy=0)", (digits, 0, 0)),
        Case("a shift by a whole image width (dx=28): nothing is left", (digits, 28, 0)),
        Case("float32 images, dx=1, dy=-2", (digits.astype(np.float32), 1, -2)),
    ]


def check_shift_batch(student_fn):
    """Check shift_batch(X, dx, dy) -> shifted (m, 784) images on 7 cases: written without calling nnlib's
    shifts, the exact pixels, X left unchanged, and the result in X's dtype."""
    name = "shift_batch"
    cases = _shift_cases()
    uses_library = calls_the_library(name, student_fn, cases)
    if uses_library is not None:  # (a CheckResult is falsy when it reports a failure)
        return uses_library
    result = check_function(name, student_fn, cases, reference_shift_batch, diagnose_shift_batch, rtol=0, atol=0,
                            arg_names=["X"])
    if not result:
        return result
    for case in cases:  # the values are right; now the dtype, which comparing values cannot see
        X = case.args[0]
        got = attempt(student_fn, copy.deepcopy(case.args)).value
        if isinstance(got, np.ndarray) and got.dtype != X.dtype:
            return failure(name, case, f"returned dtype {got.dtype} for input of dtype {X.dtype}",
                           f"keep the input's dtype ({X.dtype}): np.zeros_like(images) instead of np.zeros(shape)")
    return result
