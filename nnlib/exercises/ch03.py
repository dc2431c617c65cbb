"""Checkers for the exercises of chapter 03 (backpropagation).

    check_sigmoid_prime(fn)    fn(z) -> sigma'(z), element-wise, same shape as z
    check_dense_backward(fn)   fn(dZ, cache) -> (dX, dW, db) for the dense layer Z = X @ W + b, cache = (X, W)

Each runs the student's function on several cases (including a single row, large values and shapes
other than in the text), compares with nnlib's own implementation, and names the likely mistake.
"""
import numpy as np

from ..activations import sigmoid, sigmoid_prime
from ..layers import dense_backward
from .harness import Case, check_function


def check_sigmoid_prime(student_fn):
    """sigma'(z) = sigma(z) (1 - sigma(z)) for z of any shape."""
    return check_function("sigmoid_prime", student_fn, _sigmoid_prime_cases(), sigmoid_prime,
                          _diagnose_sigmoid_prime)


def _sigmoid_prime_cases():
    rng = np.random.default_rng(3)
    return [
        Case("z = [-2, -1, 0, 1, 2]", (np.array([-2.0, -1.0, 0.0, 1.0, 2.0]),)),
        Case("a (3, 4) batch of random z", (rng.normal(size=(3, 4)),)),
        Case("a single row (1, 5)", (rng.normal(scale=3.0, size=(1, 5)),)),
        Case("large values z = [-1000, -30, 30, 1000]", (np.array([-1000.0, -30.0, 30.0, 1000.0]),)),
    ]


def _diagnose_sigmoid_prime(args, got, expected):
    (z,) = args
    if got is None or not isinstance(got, np.ndarray):
        return "return a NumPy array shaped like z, computed element-wise (no loops needed)"
    if got.shape != expected.shape:
        return "sigma'(z) is element-wise: the result has exactly the shape of z (no sums, no matrix products)"
    s = sigmoid(z)
    with np.errstate(all="ignore"):
        candidates = [
            (s * (1 - z), "you wrote sigma(z) * (1 - z); both factors need sigma: sigma(z) * (1 - sigma(z))"),
            (z * (1 - z), "you used a * (1 - a) with a = z; the formula needs a = sigma(z), so compute "
                          "s = sigmoid(z) first and return s * (1 - s)"),
            (sigmoid_prime(s), "you evaluated sigma' at sigma(z) instead of at z: apply sigmoid once, "
                               "then s * (1 - s)"),
            (s, "you returned sigma(z) itself; the derivative is sigma(z) * (1 - sigma(z))"),
            (1 - s * s, "1 - sigma(z)^2 looks like the derivative of tanh; for sigmoid it is sigma(z) * (1 - sigma(z))"),
        ]
    for candidate, hint in candidates:
        if np.allclose(got, candidate, rtol=1e-6, atol=1e-8):
            return hint
    if np.isnan(got).any():
        return ("nan appeared: e^(-z) overflows for z = -1000; use nnlib's sigmoid (the tanh form) "
                "or np.exp(-np.abs(z)) so no exponent is positive")
    return None


def check_dense_backward(student_fn):
    """(dX, dW, db) = (dZ @ W.T, X.T @ dZ, dZ summed over the batch rows), with cache = (X, W)."""
    return check_function("dense_backward", student_fn, _dense_backward_cases(), dense_backward,
                          _diagnose_dense_backward)


def _dense_case(description, rng, m, n_in, n_out, scale=1.0):
    X = rng.normal(scale=scale, size=(m, n_in))
    W = rng.normal(scale=scale, size=(n_in, n_out))
    dZ = rng.normal(scale=scale, size=(m, n_out))
    return Case(description, (dZ, (X, W)))


def _dense_backward_cases():
    rng = np.random.default_rng(4)
    # The square case comes first: there the usual mistakes give wrong numbers of the right shape
    # (not a shape error), so the diagnosis can name them.
    return [
        _dense_case("4 examples, square layer 3 -> 3", rng, 4, 3, 3),
        _dense_case("5 examples, layer 6 -> 2", rng, 5, 6, 2),
        _dense_case("a single example (m = 1), layer 4 -> 3", rng, 1, 4, 3),
        _dense_case("10 examples, layer 2 -> 7, large values", rng, 10, 2, 7, scale=1e3),
        _dense_case("3 examples, one output unit (3 -> 1)", rng, 3, 3, 1),
    ]


def _diagnose_dense_backward(args, got, expected):
    dZ, (X, W) = args
    m = len(dZ)
    if got is None:
        return "return the three gradients as a tuple: return dX, dW, db"
    if isinstance(got, list) and len(got) == 3:
        return "return a tuple (dX, dW, db), not a list: `return dX, dW, db` does it"
    if not isinstance(got, tuple) or len(got) != 3:
        return "return exactly three arrays, in the order (dX, dW, db)"
    dX, dW, db = got
    exp_dX, exp_dW, exp_db = expected
    for part, name in ((dX, "dX"), (dW, "dW"), (db, "db")):
        if not isinstance(part, np.ndarray):
            return f"{name} must be a NumPy array, got a {type(part).__name__}"
    if dW.shape == exp_dX.shape and dX.shape == exp_dW.shape and dX.shape != dW.shape:
        return "the order is (dX, dW, db): the input gradient first, then the weights, then the biases"
    return (_diagnose_db(db, dZ, exp_db, m) or _diagnose_dW(dW, dZ, X, exp_dW, m)
            or _diagnose_dX(dX, dZ, W, exp_dX, m))


def _close(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-6, atol=1e-8)


def _diagnose_db(db, dZ, exp_db, m):
    if db.shape == dZ.shape and m > 1:
        return "db must be summed over the batch: db = dZ.sum(axis=0), one number per output unit"
    if db.shape == (1,) + exp_db.shape:
        return "db should be 1-D, shaped like b (n_out,): sum without keepdims, db = dZ.sum(axis=0)"
    row_sums = dZ.sum(axis=1)
    if db.shape == row_sums.shape and (db.shape != exp_db.shape or _close(db, row_sums)) \
            and not _close(db, exp_db):
        return "db is summed over the wrong axis: sum over the rows (the examples), dZ.sum(axis=0)"
    if m > 1 and _close(db, exp_db / m):
        return ("db is the mean of dZ over the batch, but dZ already carries the 1/m of the mean loss; "
                "just sum: db = dZ.sum(axis=0)")
    return None


def _diagnose_dW(dW, dZ, X, exp_dW, m):
    if _close(dW, dZ.T @ X) and not _close(dW, exp_dW):
        return "dW is transposed: dZ.T @ X has shape (n_out, n_in); use dW = X.T @ dZ, shaped like W (n_in, n_out)"
    if dW.shape == exp_dW.shape[::-1] and dW.shape != exp_dW.shape:
        return "dW must have the shape of W, (n_in, n_out): dW = X.T @ dZ"
    if m > 1 and _close(dW, exp_dW / m):
        return ("dW is divided by m, but dZ already carries the 1/m of the mean loss; "
                "dW = X.T @ dZ with no extra factor")
    return None


def _diagnose_dX(dX, dZ, W, exp_dX, m):
    if dZ.shape[1] == W.shape[0] and _close(dX, dZ @ W) and not _close(dX, exp_dX):
        return "dX = dZ @ W.T (W transposed): each input's gradient sums over the outputs it feeds"
    if m > 1 and _close(dX, exp_dX / m):
        return "dX is divided by m; dZ already carries the 1/m, so dX = dZ @ W.T"
    return None
