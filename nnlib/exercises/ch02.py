"""Checkers for the exercises of chapter 02 (the forward pass).

    check_sigmoid(sigmoid)              sigmoid(z) -> 1 / (1 + e^-z) element-wise, any shape, no overflow
    check_dense_forward(dense_forward)  dense_forward(X, W, b) -> Z = X @ W + b, batch first

Each runs your function on several inputs (including very large z, a single row and shapes other than
in the text), compares it with nnlib's own answer and, when it disagrees, names the likely mistake.
"""
import numpy as np

from ..activations import sigmoid as reference_sigmoid
from ..layers import dense_forward as reference_dense_forward
from .harness import Case, check_function


class _Recorder:
    """Calls the student's function under np.errstate(over/invalid/divide='raise'), so that an overflow
    warning becomes a FloatingPointError the report can name, and remembers the last exception."""

    def __init__(self, fn):
        self.fn, self.error = fn, None

    def __call__(self, *args):
        self.error = None
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                return self.fn(*args)
        except Exception as error:
            self.error = error
            raise


# ---------------------------------------------------------------------------------------------
# sigmoid


def _sigmoid_cases():
    rng = np.random.default_rng(2)
    return [
        Case("z = [-2, -1, 0, 1, 2]", (np.array([-2.0, -1.0, 0.0, 1.0, 2.0]),)),
        Case("a (3, 4) matrix of z values", (rng.normal(0, 3, size=(3, 4)),)),
        Case("a single number z = 0.5", (0.5,)),
        Case("large positive z = [20, 50, 800, 1000]", (np.array([20.0, 50.0, 800.0, 1000.0]),)),
        Case("large negative z = [-20, -50, -800, -1000]", (np.array([-20.0, -50.0, -800.0, -1000.0]),)),
    ]


def _diagnose_sigmoid(recorder):
    def diagnose(args, got, expected):
        (z,) = args
        error = recorder.error
        if isinstance(error, FloatingPointError):
            culprit = "e^z overflows for large positive z" if np.min(z) > 0 else "e^-z overflows for large negative z"
            return (f"NumPy reported '{error}': {culprit} (e^1000 is too big for a "
                    f"float). Use a form that only ever exponentiates non-positive numbers, e.g. "
                    f"e^z / (1 + e^z) where z < 0, or sigma(z) = (1 + tanh(z / 2)) / 2")
        if isinstance(error, TypeError) and "only" in str(error) and "array" in str(error):
            return "math.exp works on one number; np.exp works element-wise on whole arrays"
        if error is not None or got is None:
            return None
        if isinstance(got, list):
            return "return a NumPy array, not a list: np.exp and arithmetic on arrays work element-wise"
        got = np.asarray(got, dtype=np.float64)
        if got.shape != np.shape(expected):
            return "return an array of the same shape as z: sigmoid works element-wise"
        if np.any(np.isnan(got)):
            return "nan appears where e^z / e^z = inf / inf; exponentiate only non-positive numbers"
        if np.allclose(got, 1.0 - expected):
            return "you computed 1 / (1 + e^z) = sigma(-z): the exponent needs a minus sign, e^-z"
        if np.allclose(got, np.exp(-np.asarray(z, dtype=np.float64))):
            return "that is e^-z alone; sigma(z) = 1 / (1 + e^-z)"
        return None
    return diagnose


def check_sigmoid(sigmoid):
    """Check sigmoid(z) = 1 / (1 + e^-z) element-wise for arrays of any shape and for single numbers.
    An overflow warning counts as a failure: large |z| must give 0 or 1 quietly."""
    recorder = _Recorder(sigmoid)
    return check_function("sigmoid", recorder, _sigmoid_cases(), reference_sigmoid, _diagnose_sigmoid(recorder))


# ---------------------------------------------------------------------------------------------
# dense_forward


def _dense_cases():
    rng = np.random.default_rng(3)

    def layer(m, n_in, n_out):
        return (rng.normal(size=(m, n_in)).round(2), rng.normal(size=(n_in, n_out)).round(2),
                rng.normal(size=n_out).round(2))

    return [
        Case("2 examples, 2 inputs, 2 outputs", layer(2, 2, 2)),
        Case("4 examples, 3 inputs, 2 outputs", layer(4, 3, 2)),
        Case("a single example (1 row), 5 inputs, 3 outputs", layer(1, 5, 3)),
        Case("6 examples, 784 inputs, 30 outputs (MNIST's first layer)", layer(6, 784, 30)),
    ]


def _reference_dense(X, W, b):
    return reference_dense_forward(X, W, b)[0]


def _same(got, candidate):
    return got.shape == candidate.shape and np.allclose(got, candidate)


def _diagnose_dense(recorder):
    def diagnose(args, got, expected):
        X, W, b = args
        error = recorder.error
        message = str(error) if error is not None else ""
        if isinstance(error, ValueError) and ("matmul" in message or "aligned" in message):
            return ("the inner sizes must match: X is (m, n_in) and W is (n_in, n_out), so it is X @ W "
                    "(batch first), not W @ X or X @ W.T")
        if isinstance(error, ValueError) and "broadcast" in message:
            return "use @ (matrix product) for X and W; * multiplies element by element"
        if got is None or error is not None:
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
            (lambda: (X @ W).T + b, "Z must be (m, n_out), one row per example: do not transpose X @ W"),
            (lambda: X * W + b, "use @ (matrix product) for X and W; * multiplies element by element"),
            (lambda: X @ W + b[:, None], "b has shape (n_out,) and broadcasts across the rows as it is; "
                                         "do not reshape it to a column"),
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
    return diagnose


def check_dense_forward(dense_forward):
    """Check dense_forward(X, W, b) -> Z = X @ W + b with X (m, n_in), W (n_in, n_out), b (n_out,), Z (m, n_out).
    Unlike nnlib.layers.dense_forward it returns Z alone, without a cache."""
    recorder = _Recorder(dense_forward)
    return check_function("dense_forward", recorder, _dense_cases(), _reference_dense, _diagnose_dense(recorder))
