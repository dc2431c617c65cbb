"""Checkers for the exercises of chapter 05 (softmax and cross-entropy).

    check_softmax(softmax)                          softmax(z) -> row-wise e^z / sum e^z, stable for |z| ~ 1000
    check_softmax_cross_entropy_delta(delta_fn)     delta_fn(a, y) -> (a - y) / m

Each runs your function on several inputs (including huge logits, a single row and shapes other than
in the text), compares it with nnlib's own answer and, when it disagrees, names the likely mistake.
"""
import numpy as np

from ..activations import softmax as reference_softmax
from ..losses import output_delta
from .harness import Case, OverflowRecorder, check_function


def _close(got, candidate):
    return got.shape == candidate.shape and np.allclose(got, candidate, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------------------------------
# softmax


def _softmax_cases():
    rng = np.random.default_rng(5)
    return [
        Case("the worked example z = [[1, 2, 3]] (one row)", (np.array([[1.0, 2.0, 3.0]]),)),
        Case("a batch of 4 examples with 3 classes", (rng.normal(0, 2, size=(4, 3)),)),
        Case("a square batch: 3 examples with 3 classes", (rng.normal(0, 2, size=(3, 3)),)),
        Case("a single example with 10 classes (one MNIST output row)", (rng.normal(0, 3, size=(1, 10)),)),
        Case("huge logits: rows [1000, 1001, 1002] and [-1000, -1001, -1002]",
             (np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]]),)),
        Case("6 examples with 10 classes, logits up to about 800",
             (rng.normal(0, 300, size=(6, 10)),)),
    ]


def _stable_exp(z, axis):
    """e^(z - max) along axis (None: the whole array); every variant below is shift-invariant."""
    return np.exp(z - z.max(axis=axis, keepdims=True))


KEEPDIMS_HINT = ("divide each row by its own sum: e.sum(axis=1, keepdims=True) keeps the sums as a column of "
                 "shape (m, 1), so they broadcast across the row; without keepdims the (m,) vector of sums is "
                 "matched against the columns instead")


def _wrong_softmaxes(z):
    """Typical mistakes, each computed without overflow, with the hint that names it."""
    columns, everything = _stable_exp(z, 0), _stable_exp(z, None)
    wrong = [
        (columns / columns.sum(axis=0, keepdims=True),
         "each column sums to 1, not each row: you normalized along axis=0. Rows are examples (batch first), "
         "so sum over the classes with axis=1 (and keepdims=True)"),
        (everything / everything.sum(),
         "the whole array sums to 1: you divided by the sum over all examples. Each row (one example) must sum "
         "to 1 on its own: e.sum(axis=1, keepdims=True)"),
    ]
    if z.shape[0] == z.shape[1]:  # only then do row sums without keepdims broadcast (wrongly) at all
        rows = _stable_exp(z, 1)
        with np.errstate(all="ignore"):
            unshifted = np.exp(z)
            wrong += [(rows / rows.sum(axis=1), KEEPDIMS_HINT), (unshifted / unshifted.sum(axis=1), KEEPDIMS_HINT)]
    return wrong


def _diagnose_softmax(recorder):
    def diagnose(args, got, expected):
        (z,) = args
        error = recorder.error
        if isinstance(error, FloatingPointError):
            return (f"NumPy reported '{error}': e^z overflows for large z (e^1000 is inf for a float, and "
                    f"inf / inf is nan). Subtract each row's maximum first, z - z.max(axis=1, keepdims=True): "
                    f"it leaves the softmax unchanged and keeps every exponent <= 0")
        if isinstance(error, ValueError) and "broadcast" in str(error):
            return KEEPDIMS_HINT
        if error is not None or got is None:
            return None
        if isinstance(got, list):
            return "return a NumPy array, not a list: np.exp and the division work on whole arrays"
        got = np.asarray(got, dtype=np.float64)
        if got.shape != expected.shape:
            return f"softmax returns one probability per logit: the same shape as z, {expected.shape}"
        if not np.all(np.isfinite(got)):
            return ("nan or inf appears for large |z|: subtract each row's maximum before np.exp, "
                    "z - z.max(axis=1, keepdims=True)")
        for candidate, hint in _wrong_softmaxes(np.asarray(z, dtype=np.float64)):
            if _close(got, candidate):
                return hint
        if np.allclose(got.sum(axis=1), 1.0) and not np.allclose(got, expected):
            return "each row sums to 1 but the values are off: softmax divides e^z_j (not z_j) by sum_k e^z_k"
        return None
    return diagnose


def check_softmax(softmax):
    """Check softmax(z)_ij = e^(z_ij) / sum_k e^(z_ik) for z of shape (m, k), one row per example.
    Overflow counts as a failure: logits of size 1000 must work without warnings or nan."""
    recorder = OverflowRecorder(softmax)
    return check_function("softmax", recorder, _softmax_cases(), reference_softmax, _diagnose_softmax(recorder))


# ---------------------------------------------------------------------------------------------
# softmax_cross_entropy_delta


def _one_hot_pair(rng, m, k, scale=2.0):
    """Softmax outputs a (m, k) of random logits and one-hot targets y (m, k)."""
    a = reference_softmax(rng.normal(0, scale, size=(m, k)))
    y = np.eye(k)[rng.integers(0, k, size=m)]
    return a, y


def _delta_cases():
    rng = np.random.default_rng(6)
    confident_a = np.array([[0.98, 0.01, 0.01], [0.01, 0.01, 0.98]])
    return [
        Case("3 examples, 4 classes", _one_hot_pair(rng, 3, 4)),
        Case("5 examples, 10 classes (MNIST-sized output rows)", _one_hot_pair(rng, 5, 10)),
        Case("a single example (m = 1), 3 classes", _one_hot_pair(rng, 1, 3)),
        Case("confident predictions, one right and one badly wrong", (confident_a, np.eye(3)[[0, 0]])),
        Case("8 examples, 2 classes", _one_hot_pair(rng, 8, 2, scale=4.0)),
    ]


def _reference_delta(a, y):
    # For softmax + cross-entropy the library's delta needs no logits z: it is (a - y) / m.
    return output_delta("cross_entropy", "softmax", None, a, y)


def _diagnose_delta(args, got, expected):
    a, y = args
    if got is None or isinstance(got, list):
        return "return a NumPy array of shape (m, k), like a" if isinstance(got, list) else None
    got = np.asarray(got, dtype=np.float64)
    if got.shape != expected.shape:
        return f"delta has one entry per output unit and example: the shape of a, {a.shape}"
    m, k = a.shape
    candidates = [
        (a - y, "you returned a - y: the loss is the mean over the batch, so divide by m = len(a)"),
        ((y - a) / m, "the sign is flipped: delta = dC/dz = (a - y) / m, not (y - a) / m"),
        (y - a, "the sign is flipped and the 1/m is missing: delta = (a - y) / m"),
        ((a - y) / k, "you divided by the number of classes; divide by m, the number of examples (rows): len(a)"),
        ((a - y) * a * (1 - a) / m, "drop the factor a (1 - a): with softmax and cross-entropy the derivative "
                                    "of the activation cancels, which is the whole point; delta = (a - y) / m"),
        ((a - y) * a * (1 - a), "drop the factor a (1 - a) (the derivative cancels) and divide by m: "
                                "delta = (a - y) / m"),
    ]
    for candidate, hint in candidates:
        if _close(got, candidate):
            return hint
    return None


def check_softmax_cross_entropy_delta(softmax_cross_entropy_delta):
    """Check delta(a, y) = dC/dz = (a - y) / m for softmax outputs a (m, k) and one-hot targets y (m, k)."""
    return check_function("softmax_cross_entropy_delta", softmax_cross_entropy_delta, _delta_cases(),
                          _reference_delta, _diagnose_delta)
