"""Checkers for the exercises of chapter 05 (softmax and cross-entropy).

    check_softmax(softmax)                          softmax(z) -> row-wise e^z / sum e^z, stable for |z| ~ 1000
    check_weighted_cross_entropy_delta(delta_fn)    delta_fn(a, y, w) -> dC/dz for the class-weighted mean
                                                    cross-entropy

Each runs your function on several inputs (huge logits, rows mixing huge positive and negative logits,
integer logits, a single row, shapes other than in the text), compares it with nnlib's own answer and,
when it disagrees, names the likely mistake. Hints in steps: hint("softmax", 1), ...
"""
import numpy as np

from ..activations import softmax as reference_softmax
from ..losses import output_delta
from .harness import Case, check_function, register_hints, student_line


def _close(got, candidate):
    return got.shape == candidate.shape and np.allclose(got, candidate, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------------------------------
# softmax

register_hints("softmax", [
    "softmax is shift-invariant: adding the same number to every logit of a row does not change that row's "
    "softmax. Which number makes every exponent small enough never to overflow?",
    "subtract each row's own maximum (then the largest exponent is 0), exponentiate, and divide every row by "
    "its own sum. Rows are examples: reduce over axis=1 and keep the result as a column (keepdims=True).",
    "e = np.exp(z - z.max(axis=1, keepdims=True)); return e / e.sum(axis=1, keepdims=True).",
])


def _softmax_cases():
    rng = np.random.default_rng(5)
    return [
        Case("the worked example z = [[1, 2, 3]] (one row)", (np.array([[1.0, 2.0, 3.0]]),)),
        Case("a batch of 4 examples with 3 classes", (rng.normal(0, 2, size=(4, 3)),)),
        Case("a square batch: 3 examples with 3 classes", (rng.normal(0, 2, size=(3, 3)),)),
        Case("a single example with 10 classes (one MNIST output row)", (rng.normal(0, 3, size=(1, 10)),)),
        Case("integer logits [[1, 2, 3], [0, 0, 5]] (dtype int64)", (np.array([[1, 2, 3], [0, 0, 5]]),)),
        Case("huge logits: rows [1000, 1001, 1002] and [-1000, -1001, -1002]",
             (np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]]),)),
        Case("rows mixing huge positive and negative logits: [1000, -1000, 0] and [-800, 0, 800]",
             (np.array([[1000.0, -1000.0, 0.0], [-800.0, 0.0, 800.0]]),)),
        Case("6 examples with 10 classes, logits up to about 800", (rng.normal(0, 300, size=(6, 10)),)),
    ]


def _stable_exp(z, axis):
    """e^(z - max) along axis (None: the whole array); every variant below is shift-invariant."""
    return np.exp(z - z.max(axis=axis, keepdims=True))


KEEPDIMS_HINT = ("divide each row by its own sum: e.sum(axis=1, keepdims=True) keeps the sums as a column of "
                 "shape (m, 1), so they broadcast across the row; without keepdims the (m,) vector of sums is "
                 "matched against the columns instead")
MAX_KEEPDIMS_HINT = ("subtract each row's maximum as a column: z.max(axis=1, keepdims=True) has shape (m, 1); "
                     "without keepdims the (m,) maxima are matched against the columns instead")


def _wrong_softmaxes(z):
    """Typical mistakes, each computed without overflow, with the hint that names it."""
    columns, everything = _stable_exp(z, 0), _stable_exp(z, None)
    rows = _stable_exp(z, 1)
    wrong = [
        (columns / columns.sum(axis=0, keepdims=True),
         "each column sums to 1, not each row: you normalized along axis=0. Rows are examples (batch first), "
         "so sum over the classes with axis=1 (and keepdims=True)"),
        (everything / everything.sum(),
         "the whole array sums to 1: you divided by the sum over all examples. Each row (one example) must sum "
         "to 1 on its own: e.sum(axis=1, keepdims=True)"),
        (np.log(rows / rows.sum(axis=1, keepdims=True)),
         "that is the log of the softmax (log-softmax); softmax itself is e^z / sum e^z, without the log"),
    ]
    if z.shape[0] == z.shape[1]:  # only then do row vectors without keepdims broadcast (wrongly) at all
        with np.errstate(all="ignore"):
            unshifted = np.exp(z)
            wrong += [(rows / rows.sum(axis=1), KEEPDIMS_HINT), (unshifted / unshifted.sum(axis=1), KEEPDIMS_HINT)]
            shifted_columns = np.exp(z - z.max(axis=1))
            wrong += [(shifted_columns / shifted_columns.sum(axis=1, keepdims=True), MAX_KEEPDIMS_HINT)]
    return wrong


def diagnose_softmax(args, got, expected, error=None):
    """Name the likely mistake in a softmax result (or its exception), or None."""
    (z,) = args
    zf = np.asarray(z, dtype=np.float64)
    if isinstance(error, FloatingPointError):
        line = student_line(error) or ""
        zero_rows = zf.ndim == 2 and np.any(zf.max() - zf.max(axis=1) > 700)
        if "invalid" in str(error) and zero_rows or ".max()" in line.replace(" ", ""):
            return ("you subtracted the maximum of the whole batch: a row far below it underflows to all zeros and "
                    "gives 0 / 0 = nan. Subtract each row's own maximum, z.max(axis=1, keepdims=True)")
        if "min" in line:
            return ("subtracting the minimum leaves huge positive exponents; subtract each row's MAXIMUM, so the "
                    "largest exponent is 0: z - z.max(axis=1, keepdims=True)")
        if "mean" in line:
            return ("subtracting the mean still leaves exponents near +1000 in a row like [1000, -1000, 0]; "
                    "subtract each row's maximum: z - z.max(axis=1, keepdims=True)")
        return (f"NumPy reported '{error}': e^z overflows for large z (e^1000 is inf for a float, and "
                f"inf / inf is nan). Subtract each row's maximum first, z - z.max(axis=1, keepdims=True): "
                f"it leaves the softmax unchanged and keeps every exponent <= 0")
    if isinstance(error, ValueError) and "broadcast" in str(error):
        line = student_line(error) or ""
        return MAX_KEEPDIMS_HINT if "max" in line else KEEPDIMS_HINT
    if error is not None:
        return None
    if isinstance(got, list):
        return "return a NumPy array, not a list: np.exp and the division work on whole arrays"
    got = np.asarray(got, dtype=np.float64)
    if got.shape != expected.shape:
        return f"softmax returns one probability per logit: the same shape as z, {expected.shape}"
    if not np.all(np.isfinite(got)):
        return ("nan or inf appears for large |z|: subtract each row's maximum before np.exp, "
                "z - z.max(axis=1, keepdims=True)")
    for candidate, hint in _wrong_softmaxes(zf):
        if _close(got, candidate):
            return hint
    if np.allclose(got.sum(axis=1), 1.0) and not np.allclose(got, expected):
        return "each row sums to 1 but the values are off: softmax divides e^z_j (not z_j) by sum_k e^z_k"
    return None


def check_softmax(softmax):
    """Check softmax(z)_ij = e^(z_ij) / sum_k e^(z_ik) for z of shape (m, n_out), one row per example.
    Overflow counts as a failure: logits of size 1000 must work without warnings or nan."""
    return check_function("softmax", softmax, _softmax_cases(), reference_softmax, diagnose_softmax,
                          arg_names=["z"], forbidden_advice=SOFTMAX_ADVICE)


SOFTMAX_ADVICE = ("nnlib's softmax (imported at the top of the chapter) is the answer the checker compares with; "
                  "write the formula yourself with np.exp, a row maximum and a row sum")


# ---------------------------------------------------------------------------------------------
# weighted_cross_entropy_delta

register_hints("weighted_cross_entropy_delta", [
    "write the cost of one example of class c: its weight w_c times -ln a_c. Differentiate it with respect to "
    "its logits z as in section 4 (the weight is a constant), then remember that C is the MEAN over the batch.",
    "for one example the result is section 4's a - y, scaled by the weight of that example's own class. "
    "y @ w picks that weight for every row; keep it as a column so it scales whole rows. The mean adds 1/m.",
    "return (a - y) * (y @ w)[:, None] / len(a).",
])


def _weighted_cases():
    rng = np.random.default_rng(6)
    a_int, y_int = _one_hot_pair(rng, 4, 3)
    return [
        Case("3 examples, 4 classes, weights [1, 2, 0.5, 1]", (*_one_hot_pair(rng, 3, 4), np.array([1.0, 2.0, 0.5, 1.0]))),
        Case("5 examples, 10 classes (MNIST-sized rows), weights between 0.5 and 3",
             (*_one_hot_pair(rng, 5, 10), rng.uniform(0.5, 3.0, size=10))),
        Case("a single example (m = 1), 3 classes, weights [3, 1, 1]", (*_one_hot_pair(rng, 1, 3), np.array([3.0, 1.0, 1.0]))),
        Case("all weights 1 (the unweighted cross-entropy), 4 examples, 3 classes",
             (*_one_hot_pair(rng, 4, 3), np.ones(3))),
        Case("a square batch: 3 examples, 3 classes, weights [1, 2, 3], one example per class",
             (reference_softmax(rng.normal(0, 2, size=(3, 3))), np.eye(3)[[2, 0, 1]], np.array([1.0, 2.0, 3.0]))),
        Case("integer targets and integer weights [2, 1, 5] (dtype int64), 4 examples",
             (a_int, y_int.astype(np.int64), np.array([2, 1, 5]))),
        Case("a class with weight 0: its examples must contribute nothing, 6 examples, 3 classes",
             (reference_softmax(rng.normal(0, 2, size=(6, 3))), np.eye(3)[[0, 1, 2, 0, 1, 2]], np.array([0.0, 1.0, 2.0]))),
        Case("8 examples, 2 classes, weights [1, 9] (a rare class weighted up)",
             (*_one_hot_pair(rng, 8, 2, scale=4.0), np.array([1.0, 9.0]))),
    ]


def _one_hot_pair(rng, m, k, scale=2.0):
    """Softmax outputs a (m, k) of random logits for k classes, and one-hot targets y (m, k)."""
    a = reference_softmax(rng.normal(0, scale, size=(m, k)))
    y = np.eye(k)[rng.integers(0, k, size=m)]
    return a, y


def _reference_weighted_delta(a, y, w):
    # Each example's loss is w_c (-ln a_c): section 4's delta, a - y, scaled by the weight of its own class.
    row_weights = (np.asarray(y, dtype=np.float64) @ np.asarray(w, dtype=np.float64))[:, None]   # (m, 1)
    return row_weights * output_delta("cross_entropy", "softmax", None, a, y)


def diagnose_weighted_delta(args, got, expected, error=None):
    """Name the likely mistake in a weighted delta result (or its exception), or None."""
    a, y, w = (np.asarray(x, dtype=np.float64) for x in args)
    m, k = a.shape
    if isinstance(error, ValueError) and "broadcast" in str(error):
        return ("y @ w has shape (m,), one weight per example; make it a column, (y @ w)[:, None], so that it "
                "scales each example's row instead of being matched against the classes")
    if error is not None:
        return None
    if isinstance(got, list):
        return "return a NumPy array of shape (m, n_out), like a"
    if np.ndim(got) == 0 and got is not None:
        return ("you returned a single number: delta has one entry per example and class, the shape of a; "
                "do not average or sum it")
    got = np.asarray(got, dtype=np.float64)
    if got.shape == (k,):
        return "do not sum over the batch: delta keeps one row per example, shape (m, n_out)"
    if got.shape != expected.shape:
        return f"delta has one entry per output unit and example: the shape of a, {a.shape}"
    row = (y @ w)[:, None]
    candidates = [
        ((a - y) / m, "the weights are missing: each example's row is scaled by the weight of its own class"),
        ((a - y) * w / m, "you scaled each column (class) by its weight; the weight of an example's TRUE class "
                          "scales that example's whole row: y @ w, as a column"),
        ((a - y) * row, "divide by m = len(a): the cost is the mean over the batch"),
        ((a - y) * row / max(float(row.sum()), 1e-300), "you divided by the total weight of the batch; this cost "
                                                        "is divided by m, the number of examples"),
        ((a - y) * row / k, "you divided by the number of classes; divide by m, the number of examples: len(a)"),
        ((y - a) * row / m, "the sign is flipped: delta = dC/dz, with a - y, not y - a"),
        ((a - row * y) / m, "the weight multiplies the whole a - y, not only y: w_c is a constant factor of the "
                            "example's loss, so it scales every entry of its gradient"),
        ((row * a - y) / m, "the weight multiplies the whole a - y, not only a"),
        ((a - y) * (a @ w)[:, None] / m, "use the weight of the true class (y @ w), not the weights averaged "
                                         "with the predicted probabilities (a @ w)"),
        ((a - y) * (y @ w) / m if m == k else None, "y @ w has shape (m,): without [:, None] it is matched "
                                                    "against the classes; make it a column"),
    ]
    for candidate, hint in candidates:
        if candidate is not None and _close(got, candidate):
            return hint
    return None


def check_weighted_cross_entropy_delta(weighted_delta):
    """Check delta(a, y, w) = dC/dz for softmax outputs a (m, n_out), one-hot targets y (m, n_out), class weights
    w (n_out,) and the weighted mean cross-entropy C = -(1/m) sum_i w_(c_i) ln a_(i, c_i), c_i example i's class."""
    return check_function("weighted_cross_entropy_delta", weighted_delta, _weighted_cases(),
                          _reference_weighted_delta, diagnose_weighted_delta, arg_names=["a", "y", "w"],
                          rtol=1e-5, atol=1e-7)   # loose enough for a float32 pipeline, far below any mistake
