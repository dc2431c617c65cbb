"""Chapter 09 exercises: inverted dropout (forward and backward) and an augmentation (a whole-pixel shift).

    dropout_forward(A, p_drop, rng) -> (out, mask)
        mask_ij = 1/(1 - p_drop) with probability 1 - p_drop, else 0;   out = A * mask      A, out, mask: (m, n)
    dropout_backward(dout, mask) -> dA = dout * mask

    shift_batch(X, dx, dy) -> X shifted
        every 28x28 image of X (m, 784) moved dx pixels right and dy pixels down (negative: left / up);
        pixels pushed out are lost, the uncovered border is 0; returns a new (m, 784) array of X's dtype.

A dropout mask is random, so its checker does not compare with one reference mask: it checks the
properties every correct inverted dropout has (values 0 or 1/(1-p), the right share of zeros, an unchanged
mean, reproducible with the same generator, ...). When a result is wrong, the diagnosis names the typical
mistake it matches.
"""
import numpy as np

from ..analysis import shift_images
from .harness import Case, CheckResult, check_function, describe, failure

# -- dropout ---------------------------------------------------------------------------------------


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


def _forward(dropout_forward, A, p_drop, seed):
    """Run the student's forward pass on a copy of A with a fresh generator; returns (A copy, result)."""
    A_copy = A.copy()
    return A_copy, dropout_forward(A_copy, p_drop, np.random.default_rng(seed))


def _scale_problem(values, p_drop):
    """What is wrong with a mask whose distinct values are `values` (sorted), as (sentence, hint)."""
    keep = 1.0 - p_drop
    if values.size == 2 and values[0] == 0 and np.isclose(values[1], 1.0):
        return ("the kept units are not rescaled: the mask holds 0 and 1",
                f"inverted dropout scales the kept units by 1/(1 - p_drop) = {1 / keep:.4g}, so that the "
                f"expected activation stays A and evaluation needs no change")
    if values.size == 2 and values[0] == 0 and np.isclose(values[1], 1 / p_drop, rtol=1e-4):
        return (f"the kept units are scaled by 1/p_drop = {1 / p_drop:.4g}",
                f"divide by the probability of KEEPING a unit, 1 - p_drop (here {keep:g}), not by p_drop")
    if values.size == 2 and values[0] == 0 and np.isclose(values[1], keep, rtol=1e-4):
        return (f"the kept units are multiplied by 1 - p_drop = {keep:g}",
                f"that is the old (non-inverted) scaling done at the wrong time: during training divide the "
                f"kept units by 1 - p_drop, i.e. multiply by {1 / keep:.4g}")
    return (f"the mask should hold only 0 and 1/(1 - p_drop) = {1 / keep:.4g}, but it holds "
            f"{', '.join(f'{v:.4g}' for v in values[:5])}{' ...' if values.size > 5 else ''}",
            "draw uniform numbers, keep a unit when its number is below 1 - p_drop, and scale: "
            "`(rng.random(A.shape) < 1 - p_drop) / (1 - p_drop)`")


def _forward_problem(dropout_forward, A, p_drop):
    """A sentence and a hint for the first property of inverted dropout that the student's forward pass
    breaks, or None when it has them all."""
    keep = 1.0 - p_drop
    A_seen, result = _forward(dropout_forward, A, p_drop, seed=0)
    if not isinstance(result, tuple) or len(result) != 2:
        return (f"expected a tuple (out, mask), got {describe(result)}",
                "return both the output and the mask: `return A * mask, mask` (the backward pass needs the mask)")
    out, mask = result
    for name, value in (("out", out), ("mask", mask)):
        if not isinstance(value, np.ndarray):
            return f"{name} should be a NumPy array, got {describe(value)}", None
    if not np.array_equal(A_seen, A):
        return ("your function changed its input A",
                "compute `A * mask` into a new array; `A *= mask` also changes the activations the caller "
                "still holds")
    if mask.shape != A.shape:
        hint = None
        if mask.shape in ((A.shape[1],), (1, A.shape[1])):
            hint = ("one mask row for the whole batch drops the same units in every example; draw a mask "
                    "of A's full shape (m, n), so that every example gets its own thinned network")
        return f"mask has shape {mask.shape}, expected A's shape {A.shape}", hint
    if out.shape != A.shape:
        return f"out has shape {out.shape}, expected A's shape {A.shape}", None
    if out.dtype != A.dtype:
        return (f"out has dtype {out.dtype} but A has dtype {A.dtype}",
                "keep A's dtype: build the mask with `.astype(A.dtype)` (a float64 mask turns float32 "
                "activations into float64 and halves the speed)")
    if not np.allclose(out, A * mask, rtol=1e-5, atol=1e-7):
        return ("out is not A * mask", "the output must be exactly the activations times the mask you return")
    values = np.unique(np.round(np.asarray(mask, dtype=np.float64), 6))
    if p_drop == 0:
        if not np.allclose(mask, 1.0):
            return ("with p_drop = 0 nothing may change, but the mask is not all ones",
                    "with p_drop = 0 every unit is kept and the scale 1/(1 - p_drop) is 1")
        return None
    zero_share = float(np.mean(mask == 0))
    correct_values = values.size == 2 and values[0] == 0 and np.isclose(values[1], 1 / keep, rtol=1e-4)
    if not correct_values:
        return _scale_problem(values, p_drop)
    tolerance = 4 * np.sqrt(p_drop * keep / mask.size) + 1e-3
    if abs(zero_share - p_drop) > tolerance:
        hint = None
        if abs(zero_share - keep) <= tolerance:
            hint = (f"you drop a unit with probability 1 - p_drop: keep it when the random number is below "
                    f"1 - p_drop = {keep:g} (i.e. `rng.random(A.shape) < 1 - p_drop`), not above")
        return f"{zero_share:.1%} of the units were dropped, expected about {p_drop:.0%}", hint
    _, again = _forward(dropout_forward, A, p_drop, seed=0)
    if not (isinstance(again, tuple) and np.array_equal(again[1], mask)):
        return ("two calls with generators seeded alike gave different masks",
                "draw the random numbers from the `rng` argument (rng.random(A.shape)), not from np.random, "
                "so that a seed makes training reproducible")
    _, other = _forward(dropout_forward, A, p_drop, seed=1)
    if isinstance(other, tuple) and np.array_equal(other[1], mask):
        return ("generators with different seeds gave the same mask",
                "draw the random numbers from the `rng` argument; a fixed seed inside the function gives "
                "every batch the same mask")
    return None


def check_dropout_forward(dropout_forward):
    """Check dropout_forward(A, p_drop, rng) -> (out, mask) on 5 cases by the properties of inverted dropout."""
    name = "dropout_forward"
    cases = _dropout_cases()
    for case in cases:
        try:
            problem = _forward_problem(dropout_forward, *case.args)
        except NotImplementedError:
            return failure(name, case, "is not implemented yet",
                           "replace the `raise NotImplementedError(...)` line with your code, then run this check "
                           "again")
        except Exception as error:  # the student's bug, reported instead of a traceback
            return failure(name, case, f"raised {type(error).__name__}: {error}")
        if problem:
            return failure(name, case, *problem)
    return CheckResult(name, True, f"✓ {name}: all {len(cases)} cases pass")


def reference_dropout_backward(dout, mask):
    """dA = dout * mask: the gradient reaches only the kept units, with their scale 1/(1 - p_drop)."""
    return dout * mask


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
    ]


def diagnose_dropout_backward(args, got, expected):
    """Name the likely mistake in a dropout_backward result, or None."""
    dout, mask = args
    if got is None or not isinstance(got, np.ndarray) or got.shape != dout.shape:
        return None
    scale = mask.max() if mask.max() > 0 else 1.0
    if np.allclose(got, dout):
        return "the gradient must be masked too: units that were dropped in the forward pass get no gradient"
    if np.allclose(got, dout * (mask > 0)):
        return ("the kept units were scaled by 1/(1 - p_drop) in the forward pass, so their gradient carries the "
                "same factor: multiply by the mask itself, not by (mask > 0)")
    if np.allclose(got, mask):
        return "that is the mask alone: the gradient is the incoming dout times the mask, dout * mask"
    if np.allclose(got, dout * mask * scale):
        return ("the scale is applied twice (dividing by 1 - p_drop again?): the mask already holds "
                "1/(1 - p_drop); return dout * mask")
    if np.allclose(got, dout * (mask == 0)):
        return "that passes the gradient through the DROPPED units: multiply by the mask (zero where dropped)"
    return None


def check_dropout_backward(dropout_backward):
    """Check dropout_backward(dout, mask) -> dA on 4 cases against dA = dout * mask."""
    return check_function("dropout_backward", dropout_backward, _backward_cases(), reference_dropout_backward,
                          diagnose_dropout_backward)


# -- a whole-pixel shift ------------------------------------------------------------------------------


def reference_shift_batch(X, dx, dy):
    """Every image of X (m, 784) moved dx pixels right and dy down, zeros filled in (nnlib.analysis)."""
    return shift_images(X, rows=dy, cols=dx)


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


def diagnose_shift_batch(args, got, expected):
    """Name the likely mistake in a shift_batch result, or None."""
    X, dx, dy = args
    if got is None:
        return None
    if not isinstance(got, np.ndarray):
        return None
    m = len(X)
    if got.shape == (m, 28, 28):
        return "return rows of 784 pixels like the input: reshape the result with .reshape(len(X), -1)"
    if got.shape != X.shape:
        return None
    images = X.reshape(m, 28, 28)
    candidates = [
        (np.roll(images, (dy, dx), axis=(1, 2)),
         "np.roll wraps pixels around to the other side; a shift must fill the uncovered border with 0 "
         "(build a zeros array and copy the overlapping block)"),
        (np.roll(X, dx + 28 * dy, axis=1).reshape(m, 28, 28),
         "rolling the flat row of 784 pixels moves pixels from one image row into the next; shift the 28x28 "
         "images (reshape to (m, 28, 28) first) and fill with 0"),
        (shift_images(X, rows=dx, cols=dy).reshape(m, 28, 28),
         "dx and dy are swapped: dx moves along the columns (axis 2 of (m, 28, 28), to the right), dy along the "
         "rows (axis 1, down)"),
        (shift_images(X, rows=-dy, cols=-dx).reshape(m, 28, 28),
         "the image moved the opposite way: dx > 0 moves it RIGHT, so output column j + dx holds input column j"),
    ]
    for wrong, hint in candidates:
        if (dx, dy) != (0, 0) and np.allclose(got.reshape(m, 28, 28), wrong):
            return hint
    if got.dtype != X.dtype and np.allclose(got, expected):
        return f"keep the input's dtype ({X.dtype}): np.zeros_like(images) instead of np.zeros(shape)"
    return None


def check_shift_batch(shift_batch):
    """Check shift_batch(X, dx, dy) -> shifted (m, 784) images on 7 cases (and that X is not changed)."""
    name = "shift_batch"
    cases = _shift_cases()
    result = check_function(name, shift_batch, cases, reference_shift_batch, diagnose_shift_batch, rtol=0, atol=0)
    if not result:
        return result
    for case in cases:
        X = case.args[0].copy()
        got = shift_batch(X, *case.args[1:])
        if not np.array_equal(X, case.args[0]):
            return failure(name, case, "your function changed its input X",
                           "write the shifted pixels into a new array (np.zeros_like); the caller still needs the "
                           "original images")
        if got.dtype != X.dtype:
            return failure(name, case, f"returned dtype {got.dtype} for input of dtype {X.dtype}",
                           f"keep the input's dtype ({X.dtype}): np.zeros_like(images) instead of np.zeros(shape)")
    return result
