"""Checkers for chapter 08, Inside the network.

    check_fgsm(fn)   fn(X, grad, eps) -> the adversarial images of the fast gradient sign method
    check_pca(fn)    fn(X, k) -> the (m, k) scores of X on its first k principal components

Each runs your function on several inputs (a zero gradient, huge gradients, data far from the origin,
integer data, more features than rows), compares it with nnlib's own answer and names the likely mistake.
A function that calls nnlib's own fgsm or pca is refused: the exercise is to write it.
Hints in steps: hint("fgsm", 1), hint("pca", 1).
"""
import numpy as np

from ..analysis import fgsm, pca
from .harness import Case, calls_the_answer, check_function, register_hints, watched_functions


def _close(a, b):
    return isinstance(a, np.ndarray) and a.shape == np.shape(b) and np.allclose(a, b, atol=1e-8)


# -- fast gradient sign method -----------------------------------------------------------------

register_hints("fgsm", [
    "the attack wants the loss to go UP, and it may change every pixel by at most eps; the result must "
    "still be an image.",
    "every pixel moves by exactly eps, in the direction in which its gradient says the loss grows (only the "
    "sign of the gradient matters; a zero gradient means no move). Then keep the values inside [0, 1].",
    "return np.clip(X + eps * np.sign(grad), 0, 1)",
])


def fgsm_cases():
    """Cases for check_fgsm: (X, grad, eps) incl. a zero gradient, huge gradients and eps 0."""
    rng = np.random.default_rng(8)
    images = rng.random((3, 784))
    return [
        Case("4 pixels, eps 0.1", (np.array([[0.0, 0.5, 0.95, 0.2]]), np.array([[1.0, -2.0, 3.0, -0.5]]), 0.1)),
        Case("3 random images, eps 0.05", (images, rng.standard_normal((3, 784)) * 1e-3, 0.05)),
        Case("a zero gradient leaves the pixel alone", (np.array([[0.3, 0.7]]), np.array([[0.0, 2.0]]), 0.2)),
        Case("huge gradients, eps 0.25", (np.array([[0.1, 0.9, 0.5]]), np.array([[1e6, -1e6, 5e5]]), 0.25)),
        Case("an integer gradient (dtype int64), eps 0.3", (np.array([[0.5, 0.5, 0.9]]), np.array([[3, -2, 0]]), 0.3)),
        Case("eps 0 changes nothing", (images[:1], rng.standard_normal((1, 784)), 0.0)),
    ]


def diagnose_fgsm(args, got, expected, error=None):
    """Name the likely FGSM mistake: gradient instead of its sign, wrong direction, no clipping, sign(0)."""
    X, grad, eps = args
    if isinstance(error, FloatingPointError):
        return ("dividing the gradient by its absolute value gives 0 / 0 where the gradient is 0; np.sign(grad) "
                "gives the sign directly, and 0 for a zero gradient")
    if error is not None:
        return None
    with np.errstate(all="ignore"):
        sign = np.sign(grad)
        candidates = [
            (np.clip(X + eps * grad, 0, 1), "FGSM steps by eps times the SIGN of the gradient (np.sign), not the "
                                            "gradient itself"),
            (X + eps * grad, "FGSM steps by eps times the SIGN of the gradient (np.sign), not the gradient itself"),
            (np.clip(X - eps * sign, 0, 1), "wrong direction: the attack climbs the loss, so add eps * sign(grad) "
                                            "instead of subtracting it"),
            (X - eps * sign, "wrong direction: the attack climbs the loss, so add eps * sign(grad) instead of "
                             "subtracting it"),
            (X + eps * sign, "clip the result to [0, 1] so that it is still a valid image: np.clip(X + eps * "
                             "sign(grad), 0, 1). Pixels here lie in [0, 1], so clipping to [0, 255] does nothing, "
                             "and clipping X before adding the step leaves the result outside [0, 1]"),
            (np.clip(X + eps * np.where(grad >= 0, 1.0, -1.0), 0, 1),
             "where the gradient is exactly 0 the pixel should not move: np.sign(0) is 0"),
            (np.clip(X + eps * np.where(grad > 0, 1.0, -1.0), 0, 1),
             "where the gradient is exactly 0 the pixel should not move: np.sign(0) is 0"),
            (np.clip(X + sign, 0, 1), "the step size eps is missing: X + eps * sign(grad)"),
        ]
    for candidate, hint in candidates:
        if _close(got, candidate) and not _close(got, expected):
            return hint
    return None


def check_fgsm(student_fn):
    """Check fgsm(X, grad, eps): every pixel moved by eps against the loss's descent, clipped to [0, 1]."""
    return check_function("fgsm", student_fn, fgsm_cases(), fgsm, diagnose_fgsm, arg_names=["X", "grad", "eps"])


# -- PCA ---------------------------------------------------------------------------------------

register_hints("pca", [
    "principal components are directions through the CENTRE of the data; the SVD of the centred data "
    "gives them, sorted by how much the data spreads along each.",
    "centre each column (feature), factor the result with np.linalg.svd(..., full_matrices=False); the rows "
    "of Vt are the directions, largest first. The scores are the centred data projected onto the first k.",
    "Xc = X - X.mean(axis=0); _, _, Vt = np.linalg.svd(Xc, full_matrices=False); return Xc @ Vt[:k].T",
])


def _reference_scores(X, k):
    return pca(X, k).scores


def _aligned(student_fn):
    """Singular vectors are only defined up to sign: flip each of the student's columns to agree with ours."""
    def run(X, k):
        expected = _reference_scores(X.copy(), k)
        got = student_fn(X, k)
        if isinstance(got, np.ndarray) and got.shape == expected.shape and np.issubdtype(got.dtype, np.number) \
                and np.isfinite(got).all():
            signs = np.where(np.sum(got * expected, axis=0) < 0, -1.0, 1.0)
            return got * signs
        return got
    return run


def pca_cases():
    """Cases for check_pca: (X, k) with a far-off mean, k of 1 to 3, integers and more features than rows."""
    rng = np.random.default_rng(8)
    stretch = np.diag([5.0, 2.0, 1.0, 0.5, 0.1])
    cloud = rng.standard_normal((40, 5)) @ stretch @ _rotation(rng, 5)
    return [
        Case("a 2-D cloud far from the origin, k=1", (rng.standard_normal((30, 2)) * [3.0, 0.5] + [10.0, -4.0], 1)),
        Case("40 points in 5-D, k=2", (cloud, 2)),
        Case("the same points shifted by 1e3, k=3", (cloud + 1e3, 3)),
        Case("integer data (dtype int64, like pixel values 0..255), k=2",
             (np.round(rng.standard_normal((20, 4)) * [60.0, 20.0, 5.0, 1.0] + 128).astype(np.int64), 2)),
        Case("more features than rows (6 x 10), k=2", (rng.standard_normal((6, 10)) * np.arange(1, 11), 2)),
    ]


def _rotation(rng, n):
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return q


def _abs_close(got, candidate):
    return isinstance(got, np.ndarray) and got.shape == candidate.shape and np.allclose(
        np.abs(got), np.abs(candidate), rtol=1e-6, atol=1e-6)


def diagnose_pca(args, got, expected, error=None):
    """Name the likely PCA mistake: no centring, U without S, columns of Vt, smallest components, ..."""
    X, k = args
    if error is not None:
        if "cast" in str(error):
            return ("X -= X.mean(axis=0) cannot store fractions in an integer array (and would change the caller's "
                    "X): write Xc = X - X.mean(axis=0), a new array")
        return None
    X = np.asarray(X, dtype=float)
    Xc = X - X.mean(axis=0)
    U, S, Vt = np.linalg.svd(Xc, full_matrices=False)
    _, _, Vt_raw = np.linalg.svd(X, full_matrices=False)
    if not isinstance(got, np.ndarray):
        return None
    if got.shape == (k, X.shape[1]) and got.shape != expected.shape:
        return "you returned the k principal directions (rows of Vt); the exercise asks for the scores, Xc @ Vt[:k].T"
    if got.shape == (X.shape[0], min(X.shape)) and got.shape != expected.shape:
        return "you returned the scores on every component: keep the first k columns (Vt[:k])"
    if _abs_close(got, X @ Vt_raw[:k].T) or _abs_close(got, X @ Vt[:k].T):
        return "centre the data first: subtract each column's mean (X - X.mean(axis=0)) before the SVD and projection"
    rows_centred = X - X.mean(axis=1, keepdims=True)
    _, _, Vt_rows = np.linalg.svd(rows_centred, full_matrices=False)
    if _abs_close(got, rows_centred @ Vt_rows[:k].T):
        return "centre each column (feature), not each row: X - X.mean(axis=0)"
    if _abs_close(got, U[:, :k]):
        return "U holds unit-length directions; the scores are U_k * S_k (or Xc @ Vt[:k].T)"
    if _abs_close(got, U[:, :k] * S[:k] / np.sqrt(len(X) - 1)) or _abs_close(got, Xc @ Vt[:k].T / S[:k]):
        return "do not rescale the scores: they are Xc @ Vt[:k].T, with the spread of the data along each direction"
    if Vt.shape[0] == Vt.shape[1] and _abs_close(got, Xc @ Vt[:, :k]):
        return "the principal directions are the ROWS of Vt (columns of V): project with Xc @ Vt[:k].T"
    if _abs_close(got, Xc @ Vt[-k:].T) or _abs_close(got, Xc @ Vt[::-1][:k].T):
        return "keep the k directions with the LARGEST singular values (np.linalg.eigh sorts ascending)"
    std = X.std(axis=0)
    Xs = Xc / np.where(std == 0, 1, std)
    _, _, Vt_s = np.linalg.svd(Xs, full_matrices=False)
    if _abs_close(got, Xs @ Vt_s[:k].T):
        return "PCA here only centres the data; dividing by each column's standard deviation changes the directions"
    return None


def check_pca(student_fn):
    """Check pca(X, k) -> the (m, k) scores of X on its first k principal components (any sign per column).
    A function that calls nnlib's pca is refused (checked on the student's own function, before the sign
    alignment, which calls pca itself)."""
    uses_answer = calls_the_answer("pca", student_fn, pca_cases()[:1], watched_functions(pca),
                                   "write it yourself with np.linalg.svd: nnlib.analysis.pca is the finished "
                                   "version the checker compares with, so calling it proves nothing")
    if uses_answer is not None:
        return uses_answer
    return check_function("pca", _aligned(student_fn), pca_cases(), _reference_scores, diagnose_pca,
                          rtol=1e-6, atol=1e-6, arg_names=["X", "k"])
