"""Checkers for the exercises of chapter 02 (the forward pass).

    check_sigmoid(sigmoid)              sigmoid(z) -> 1 / (1 + e^-z) element-wise, any shape, no overflow
    check_dense_forward(dense_forward)  dense_forward(X, W, b) -> Z = X @ W + b, batch first

Each runs your function on several inputs (very large z, rows mixing huge positive and negative values,
integer arrays, a single row, shapes other than in the text), compares it with nnlib's own answer and,
when it disagrees, names the likely mistake. Hints in steps: hint("sigmoid", 1), hint("dense_forward", 1).
"""
import warnings

import numpy as np

from ..activations import sigmoid as reference_sigmoid
from ..activations import softmax as library_softmax
from ..activations import tanh as library_tanh
from ..layers import dense_forward as reference_dense_forward
from .harness import Case, check_function, failure, library_calls, register_hints, student_line, watched_functions

# ---------------------------------------------------------------------------------------------
# sigmoid

register_hints("sigmoid", [
    "the textbook formula 1 / (1 + e^-z) is right for z >= 0; the trouble is e^-z for large negative z. "
    "Find a second formula for z < 0 that only ever raises e to a number <= 0.",
    "multiply numerator and denominator by e^z: for z < 0, sigma(z) = e^z / (1 + e^z). With e = np.exp(-|z|) "
    "both branches use the same e, which is at most 1.",
    "z = np.asarray(z, dtype=float); e = np.exp(-np.abs(z)); return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).",
])


def _sigmoid_cases():
    rng = np.random.default_rng(2)
    return [
        Case("z = [-2, -1, 0, 1, 2]", (np.array([-2.0, -1.0, 0.0, 1.0, 2.0]),)),
        Case("a (3, 4) matrix of z values", (rng.normal(0, 3, size=(3, 4)),)),
        Case("a single number z = 0.5", (0.5,)),
        Case("an integer array z = [-3, 0, 3] (dtype int64)", (np.array([-3, 0, 3]),)),
        Case("large positive z = [20, 50, 800, 1000]", (np.array([20.0, 50.0, 800.0, 1000.0]),)),
        Case("large negative z = [-20, -50, -800, -1000]", (np.array([-20.0, -50.0, -800.0, -1000.0]),)),
        Case("a row mixing huge values: z = [[-1000, -30, 0, 30, 1000]]",
             (np.array([[-1000.0, -30.0, 0.0, 30.0, 1000.0]]),)),
    ]


def diagnose_sigmoid(args, got, expected, error=None):
    """Name the likely mistake in a sigmoid result (or the exception it raised), or None."""
    (z,) = args
    if isinstance(error, FloatingPointError):
        line = student_line(error) or ""
        if "where" in line:
            return ("np.where(condition, a, b) computes both a and b for every element before choosing, so the "
                    "branch you did not want still overflows. Compute e = np.exp(-np.abs(z)) first: its "
                    "exponent is never positive, and both branches can use it")
        zs = np.asarray(z, dtype=float)
        culprit = ("e^-z overflows for large negative z" if zs.min() < 0 and np.max(zs) <= 30
                   else "e^z overflows for large positive z" if zs.min() >= 0 else "e^z or e^-z overflows")
        return (f"NumPy reported '{error}': {culprit} (e^1000 is too big for a float). Use a form that only "
                f"ever exponentiates numbers <= 0: e^z / (1 + e^z) where z < 0")
    if isinstance(error, TypeError) and "only" in str(error) and "array" in str(error):
        return "math.exp works on one number; np.exp works element-wise on whole arrays"
    if isinstance(error, (TypeError, AttributeError)) and np.ndim(z) == 0:
        return ("z may be a single number, which has no shape and cannot be indexed: start with "
                "z = np.asarray(z, dtype=float)")
    if error is not None:
        return None
    if isinstance(got, list):
        return "return a NumPy array, not a list: np.exp and arithmetic on arrays work element-wise"
    if isinstance(got, np.ndarray) and np.issubdtype(got.dtype, np.integer):
        return ("your result has an integer dtype, so the fractions were cut off (np.zeros_like(z) and "
                "np.empty_like(z) copy z's integer dtype): convert first, z = np.asarray(z, dtype=float)")
    got = np.asarray(got, dtype=np.float64)
    if got.shape != np.shape(expected):
        return "return an array of the same shape as z: sigmoid works element-wise"
    if np.any(np.isnan(got)):
        return "nan appears where e^z / e^z = inf / inf; exponentiate only non-positive numbers"
    zf = np.asarray(z, dtype=np.float64)
    with np.errstate(all="ignore"):
        if np.allclose(got, 1.0 - expected):
            return "you computed 1 / (1 + e^z) = sigma(-z): the exponent needs a minus sign, e^-z"
        if np.allclose(got, np.exp(-zf)):
            return "that is e^-z alone; sigma(z) = 1 / (1 + e^-z)"
        if np.allclose(got, np.exp(zf)):
            return "that is e^z alone; sigma(z) = 1 / (1 + e^-z): do not forget the 1 + in the denominator"
        if np.allclose(got, (1 + np.tanh(zf)) / 2):
            return "(1 + tanh(z)) / 2 is sigma(2z): the tanh form needs half of z, (1 + tanh(z / 2)) / 2"
        if np.allclose(got, expected * (1 - expected)):
            return "that is the derivative sigma(z)(1 - sigma(z)); this exercise asks for sigma(z) itself"
    return None


# Ways of hiding an overflow instead of avoiding it: the naive formula inside one of these gives the right
# numbers without a warning, but still computes e^1000 = inf.
_SILENCERS = {np.errstate.__enter__.__code__: "np.errstate", np.seterr.__code__: "np.seterr",
              np.errstate()(lambda: None).__code__: "np.errstate",  # the wrapper of @np.errstate(...)
              warnings.simplefilter.__code__: "warnings.simplefilter",
              warnings.filterwarnings.__code__: "warnings.filterwarnings",
              warnings.catch_warnings.__enter__.__code__: "warnings.catch_warnings"}


def silenced_warnings(fn, args):
    """The names of the warning switches (np.errstate, np.seterr, warnings filters) that fn(*args) turned,
    itself or through a decorator; NumPy's and the checker's own uses do not count."""
    with np.errstate(all="ignore"):  # the naive formula's overflow must not print warnings during the watch
        called = library_calls(fn, args, {}, switches=_SILENCERS)
    return [name for name in called if name in _SILENCERS.values()]


def check_sigmoid(sigmoid):
    """Check sigmoid(z) = 1 / (1 + e^-z) element-wise for arrays of any shape and for single numbers.
    An overflow warning counts as a failure: large |z| must give 0 or 1 quietly, and silencing the warning
    (np.errstate, np.seterr, a warnings filter) is refused, since e^1000 still overflows underneath."""
    mixing = _sigmoid_cases()[-1]
    silencers = silenced_warnings(sigmoid, mixing.args)
    if silencers:
        return failure("sigmoid", mixing, f"your function switches NumPy's warnings off ({silencers[0]}), so "
                                          f"e^1000 still overflows to inf, only silently",
                       "avoid the overflow instead of hiding it: only ever exponentiate numbers <= 0, "
                       "with e^z / (1 + e^z) where z < 0")
    return check_function("sigmoid", sigmoid, _sigmoid_cases(), reference_sigmoid, diagnose_sigmoid,
                          arg_names=["z"], forbidden=watched_functions(reference_sigmoid, library_tanh,
                                                                       library_softmax),
                          forbidden_advice="write it with np.exp, exponentiating only numbers <= 0: nnlib's "
                                           "sigmoid (and its tanh trick) is the finished version")


# ---------------------------------------------------------------------------------------------
# dense_forward

register_hints("dense_forward", [
    "every row of X is one example; every column of W belongs to one output unit. Which product of X and W "
    "gives one row per example and one column per output?",
    "(m, n_in) times (n_in, n_out) is (m, n_out): a matrix product, @, not *. Then add the bias: b has one "
    "entry per output and is added to every row.",
    "Z = X @ W + b (NumPy broadcasts b of shape (n_out,) across the m rows).",
])


def _dense_cases():
    rng = np.random.default_rng(3)

    def layer(m, n_in, n_out):
        return (rng.normal(size=(m, n_in)).round(2), rng.normal(size=(n_in, n_out)).round(2),
                rng.normal(size=n_out).round(2))

    X_int = rng.integers(0, 256, size=(3, 4))
    return [
        Case("2 examples, 2 inputs, 2 outputs", layer(2, 2, 2)),
        Case("4 examples, 3 inputs, 2 outputs", layer(4, 3, 2)),
        Case("a single example (1 row), 5 inputs, 3 outputs", layer(1, 5, 3)),
        Case("integer pixels X (dtype int64, values 0..255), 4 inputs, 2 outputs",
             (X_int, rng.normal(size=(4, 2)), rng.normal(size=2))),
        Case("6 examples, 784 inputs, 30 outputs (MNIST's first layer)", layer(6, 784, 30)),
    ]


def _reference_dense(X, W, b):
    return reference_dense_forward(X, W, b)[0]


def _same(got, candidate):
    return got.shape == candidate.shape and np.allclose(got, candidate)


def diagnose_dense(args, got, expected, error=None):
    """Name the likely mistake in a dense_forward result (or its exception), or None."""
    X, W, b = args
    message = str(error) if error is not None else ""
    if isinstance(error, ValueError) and ("matmul" in message or "aligned" in message):
        return ("the inner sizes must match: X is (m, n_in) and W is (n_in, n_out), so it is X @ W "
                "(batch first), not W @ X or X @ W.T")
    if isinstance(error, ValueError) and "broadcast" in message:
        return "use @ (matrix product) for X and W; * multiplies element by element"
    if error is not None:
        return None
    if isinstance(got, tuple):
        return "return only Z; nnlib's dense_forward also returns a cache, this exercise does not"
    if isinstance(got, list):
        return "return a NumPy array (X @ W + b already is one), not a list"
    got = np.asarray(got)
    candidates = [
        (lambda: W @ X + b, "W @ X is the column convention; nnlib is batch first: Z = X @ W + b"),
        (lambda: X @ W.T + b, "W already has shape (n_in, n_out): use X @ W, not X @ W.T"),
        (lambda: X @ W, "you forgot the bias: Z = X @ W + b"),
        (lambda: X @ W - b, "the bias is added, not subtracted: Z = X @ W + b"),
        (lambda: (X @ W).T + b, "Z must be (m, n_out), one row per example: do not transpose X @ W"),
        (lambda: (X @ W + b).T, "Z must be (m, n_out), one row per example: do not transpose it"),
        (lambda: X * W + b, "use @ (matrix product) for X and W; * multiplies element by element"),
        (lambda: X @ W + b[:, None], "b has shape (n_out,) and broadcasts across the rows as it is; "
                                     "do not reshape it to a column"),
        (lambda: X @ W + b.sum(), "add the vector b itself (one bias per output unit), not its sum"),
    ]
    for compute, hint in candidates:
        try:
            if _same(got, compute()):
                return hint
        except ValueError:  # this mistake is impossible for these shapes
            continue
    if got.shape != expected.shape:
        return f"Z = X @ W + b has shape (m, n_out) = {expected.shape}"
    return None


def check_dense_forward(dense_forward):
    """Check dense_forward(X, W, b) -> Z = X @ W + b with X (m, n_in), W (n_in, n_out), b (n_out,), Z (m, n_out).
    Unlike nnlib.layers.dense_forward it returns Z alone, without a cache."""
    return check_function("dense_forward", dense_forward, _dense_cases(), _reference_dense, diagnose_dense,
                          arg_names=["X", "W", "b"], forbidden=watched_functions(reference_dense_forward),
                          forbidden_advice="write the formula yourself with @ and +: nnlib.layers.dense_forward is "
                                           "the finished version (and returns a cache as well)")
