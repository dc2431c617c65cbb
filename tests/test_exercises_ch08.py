"""Chapter 08 checkers: typical wrong FGSM and PCA implementations get the hint that names their mistake,
unusual correct ones pass."""
import numpy as np
import pytest

from exercise_catalogue import MIN_RIGHT, MIN_WRONG, as_float32, assert_right, assert_wrong
from nnlib.exercises.ch08 import check_fgsm, check_pca


# -- FGSM --------------------------------------------------------------------------------------

def fgsm_right(X, grad, eps):
    return np.clip(X + eps * np.sign(grad), 0.0, 1.0)


def fgsm_where(X, grad, eps):
    step = np.where(grad > 0, eps, np.where(grad < 0, -eps, 0.0))
    return np.minimum(np.maximum(X + step, 0.0), 1.0)


def fgsm_copy_and_clip_in_place(X, grad, eps):
    out = X.copy()
    out += eps * np.sign(grad)
    np.clip(out, 0, 1, out=out)
    return out


def raw_gradient(X, grad, eps):
    return np.clip(X + eps * grad, 0, 1)


def raw_gradient_unclipped(X, grad, eps):
    return X + eps * grad


def descends(X, grad, eps):
    return np.clip(X - eps * np.sign(grad), 0, 1)


def unclipped(X, grad, eps):
    return X + eps * np.sign(grad)


def zero_moves(X, grad, eps):
    return np.clip(X + eps * np.where(grad >= 0, 1.0, -1.0), 0, 1)


def clips_to_255(X, grad, eps):
    return np.clip(X + eps * np.sign(grad), 0, 255)


def clips_first(X, grad, eps):
    return np.clip(X, 0, 1) + eps * np.sign(grad)


def forgets_eps(X, grad, eps):
    return np.clip(X + np.sign(grad), 0, 1)


def normalizes_by_abs(X, grad, eps):
    return np.clip(X + eps * grad / np.abs(grad), 0, 1)


def changes_X(X, grad, eps):
    X += eps * np.sign(grad)
    return np.clip(X, 0, 1)


FGSM_WRONG = [
    (raw_gradient, "SIGN of the gradient"),
    (raw_gradient_unclipped, "SIGN of the gradient"),
    (descends, "wrong direction"),
    (unclipped, "clip the result to [0, 1]"),
    (zero_moves, "np.sign(0) is 0"),
    (clips_to_255, "clipping to [0, 255] does nothing"),
    (clips_first, "clipping X before adding the step"),
    (forgets_eps, "the step size eps is missing"),
    (normalizes_by_abs, "0 / 0"),
    (changes_X, "instead of changing X"),
]
FGSM_RIGHT = [fgsm_right, fgsm_where, fgsm_copy_and_clip_in_place, as_float32(fgsm_right)]


@pytest.mark.parametrize("wrong, phrase", FGSM_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_fgsm_mistakes_are_named(wrong, phrase):
    assert_wrong(check_fgsm, wrong, phrase)


@pytest.mark.parametrize("right", FGSM_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_fgsm_passes(right):
    assert_right(check_fgsm, right)


# -- PCA ---------------------------------------------------------------------------------------

def pca_right(X, k):
    Xc = X - X.mean(axis=0)
    _, _, Vt = np.linalg.svd(Xc, full_matrices=False)
    return Xc @ Vt[:k].T


def pca_eigh(X, k):
    Xc = X - X.mean(axis=0)
    values, vectors = np.linalg.eigh(Xc.T @ Xc / (len(X) - 1))
    top = np.argsort(values)[::-1][:k]
    return Xc @ vectors[:, top]


def pca_u_times_s(X, k):
    Xc = X - X.mean(axis=0, keepdims=True)
    U, S, _ = np.linalg.svd(Xc, full_matrices=False)
    return U[:, :k] * S[:k]


def not_centred(X, k):
    _, _, Vt = np.linalg.svd(X, full_matrices=False)
    return X @ Vt[:k].T


def u_without_s(X, k):
    U, _, _ = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    return U[:, :k]


def columns_of_vt(X, k):
    Xc = X - X.mean(axis=0)
    _, _, Vt = np.linalg.svd(Xc, full_matrices=False)
    return Xc @ Vt[:, :k]


def smallest(X, k):
    Xc = X - X.mean(axis=0)
    values, vectors = np.linalg.eigh(Xc.T @ Xc)
    return Xc @ vectors[:, :k]


def centres_rows(X, k):
    Xc = X - X.mean(axis=1, keepdims=True)
    _, _, Vt = np.linalg.svd(Xc, full_matrices=False)
    return Xc @ Vt[:k].T


def returns_directions(X, k):
    _, _, Vt = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    return Vt[:k]


def all_components(X, k):
    Xc = X - X.mean(axis=0)
    _, _, Vt = np.linalg.svd(Xc, full_matrices=False)
    return Xc @ Vt.T


def whitened(X, k):
    Xc = X - X.mean(axis=0)
    U, S, _ = np.linalg.svd(Xc, full_matrices=False)
    return U[:, :k] * S[:k] / np.sqrt(len(X) - 1)


def standardized(X, k):
    Xs = (X - X.mean(axis=0)) / X.std(axis=0)
    _, _, Vt = np.linalg.svd(Xs, full_matrices=False)
    return Xs @ Vt[:k].T


def centres_in_place(X, k):
    X -= X.mean(axis=0)
    _, _, Vt = np.linalg.svd(X, full_matrices=False)
    return X @ Vt[:k].T


PCA_WRONG = [
    (not_centred, "centre the data first"),
    (u_without_s, "U holds unit-length directions"),
    (columns_of_vt, "ROWS of Vt"),
    (smallest, "LARGEST singular values"),
    (centres_rows, "not each row"),
    (returns_directions, "asks for the scores"),
    (all_components, "keep the first k columns"),
    (whitened, "do not rescale the scores"),
    (standardized, "dividing by each column's standard deviation"),
    (centres_in_place, "instead of changing X"),
]
PCA_RIGHT = [pca_right, pca_eigh, pca_u_times_s]


@pytest.mark.parametrize("wrong, phrase", PCA_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_pca_mistakes_are_named(wrong, phrase):
    assert_wrong(check_pca, wrong, phrase)


@pytest.mark.parametrize("right", PCA_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_pca_passes(right):
    assert_right(check_pca, right)


def test_catalogue_is_broad_enough():
    for wrong, right in [(FGSM_WRONG, FGSM_RIGHT), (PCA_WRONG, PCA_RIGHT)]:
        assert len(wrong) >= MIN_WRONG and len(right) >= MIN_RIGHT


# -- calling nnlib's own version is refused --------------------------------------------------------

def test_calling_nnlib_fgsm_is_refused():
    from nnlib.analysis import fgsm
    import nnlib.analysis

    for cheat in (fgsm, lambda X, grad, eps: nnlib.analysis.fgsm(X, grad, eps)):
        result = check_fgsm(cheat)
        assert not result.passed and "calls nnlib.analysis.fgsm" in result.message


def test_calling_nnlib_pca_is_refused():
    from nnlib.analysis import pca

    result = check_pca(lambda X, k: pca(X, k).scores)
    assert not result.passed and "calls nnlib.analysis.pca" in result.message and "np.linalg.svd" in result.message


def test_an_honest_pca_still_passes_although_the_checker_calls_pca_itself():
    def honest(X, k):
        Xc = X - X.mean(axis=0)
        return Xc @ np.linalg.svd(Xc, full_matrices=False)[2][:k].T
    assert check_pca(honest).passed
