"""Checkers for chapter 08, Inside the network: `check_fgsm(fn)` and `check_pca(fn)`."""
import numpy as np

from ..analysis import fgsm, pca
from .harness import Case, check_function


def _close(a, b):
    return isinstance(a, np.ndarray) and a.shape == np.shape(b) and np.allclose(a, b, atol=1e-8)


# -- fast gradient sign method -----------------------------------------------------------------


def fgsm_cases():
    """Cases for check_fgsm: (X, grad, eps) incl. a zero gradient, huge gradients and eps 0."""
    rng = np.random.default_rng(8)
    images = rng.random((3, 784))
    return [
        Case("4 pixels, eps 0.1", (np.array([[0.0, 0.5, 0.95, 0.2]]), np.array([[1.0, -2.0, 3.0, -0.5]]), 0.1)),
        Case("3 random images, eps 0.05", (images, rng.standard_normal((3, 784)) * 1e-3, 0.05)),
        Case("a zero gradient leaves the pixel alone", (np.array([[0.3, 0.7]]), np.array([[0.0, 2.0]]), 0.2)),
        Case("huge gradients, eps 0.25", (np.array([[0.1, 0.9, 0.5]]), np.array([[1e6, -1e6, 5e5]]), 0.25)),
        Case("eps 0 changes nothing", (images[:1], rng.standard_normal((1, 784)), 0.0)),
    ]


def diagnose_fgsm(args, got, expected):
    """Name the likely FGSM mistake: gradient instead of its sign, wrong direction, no clipping, sign(0)."""
    X, grad, eps = args
    if _close(got, np.clip(X + eps * grad, 0, 1)) or _close(got, X + eps * grad):
        return "FGSM steps by eps times the SIGN of the gradient (np.sign), not the gradient itself"
    if _close(got, np.clip(X - eps * np.sign(grad), 0, 1)) or _close(got, X - eps * np.sign(grad)):
        return "wrong direction: the attack climbs the loss, so add eps * sign(grad) instead of subtracting it"
    if _close(got, X + eps * np.sign(grad)):
        return "clip the result to [0, 1] (np.clip) so that it is still a valid image"
    if _close(got, np.clip(X + eps * np.where(grad >= 0, 1.0, -1.0), 0, 1)):
        return "where the gradient is exactly 0 the pixel should not move: np.sign(0) is 0"
    return None


def check_fgsm(student_fn):
    """Check fgsm(X, grad, eps) -> clip(X + eps * sign(grad), 0, 1)."""
    return check_function("fgsm", student_fn, fgsm_cases(), fgsm, diagnose_fgsm)


# -- PCA ---------------------------------------------------------------------------------------


def _reference_scores(X, k):
    return pca(X, k).scores


def _aligned(student_fn):
    """Singular vectors are only defined up to sign: flip each of the student's columns to agree with ours."""
    def run(X, k):
        got = student_fn(X, k)
        expected = _reference_scores(X, k)
        if isinstance(got, np.ndarray) and got.shape == expected.shape and np.isfinite(got).all():
            signs = np.where(np.sum(got * expected, axis=0) < 0, -1.0, 1.0)
            return got * signs
        return got
    return run


def pca_cases():
    """Cases for check_pca: (X, k) with a far-off mean, k of 1 to 3, and more features than rows."""
    rng = np.random.default_rng(8)
    stretch = np.diag([5.0, 2.0, 1.0, 0.5, 0.1])
    cloud = rng.standard_normal((40, 5)) @ stretch @ _rotation(rng, 5)
    return [
        Case("a 2-D cloud far from the origin, k=1", (rng.standard_normal((30, 2)) * [3.0, 0.5] + [10.0, -4.0], 1)),
        Case("40 points in 5-D, k=2", (cloud, 2)),
        Case("the same points shifted by 1e3, k=3", (cloud + 1e3, 3)),
        Case("more features than rows (6 x 10), k=2", (rng.standard_normal((6, 10)) * np.arange(1, 11), 2)),
    ]


def _rotation(rng, n):
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return q


def _abs_close(got, candidate):
    return isinstance(got, np.ndarray) and got.shape == candidate.shape and np.allclose(
        np.abs(got), np.abs(candidate), rtol=1e-6, atol=1e-6)


def diagnose_pca(args, got, expected):
    """Name the likely PCA mistake: no centring, U without S, columns of Vt, smallest components."""
    X, k = args
    Xc = X - X.mean(axis=0)
    U, S, Vt = np.linalg.svd(Xc, full_matrices=False)
    _, _, Vt_raw = np.linalg.svd(X, full_matrices=False)
    if _abs_close(got, X @ Vt_raw[:k].T) or _abs_close(got, X @ Vt[:k].T):
        return "centre the data first: subtract each column's mean (X - X.mean(axis=0)) before the SVD and projection"
    if _abs_close(got, U[:, :k]):
        return "U holds unit-length directions; the scores are U_k * S_k (or Xc @ Vt[:k].T)"
    if Vt.shape[0] == Vt.shape[1] and _abs_close(got, Xc @ Vt[:, :k]):
        return "the principal directions are the ROWS of Vt (columns of V): project with Xc @ Vt[:k].T"
    if _abs_close(got, Xc @ Vt[-k:].T) or _abs_close(got, Xc @ Vt[::-1][:k].T):
        return "keep the k directions with the LARGEST singular values (np.linalg.eigh sorts ascending)"
    return None


def check_pca(student_fn):
    """Check pca(X, k) -> the (m, k) scores of X on its first k principal components (any sign per column)."""
    return check_function("pca", _aligned(student_fn), pca_cases(), _reference_scores, diagnose_pca,
                          rtol=1e-6, atol=1e-6)
