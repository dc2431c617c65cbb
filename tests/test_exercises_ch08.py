"""Chapter 08 checkers: a correct answer passes, each typical mistake fails with the matching hint."""
import numpy as np
import pytest

from nnlib.exercises.ch08 import check_fgsm, check_pca


def good_fgsm(X, grad, eps):
    return np.clip(X + eps * np.sign(grad), 0.0, 1.0)


@pytest.mark.parametrize("wrong, hint", [
    (lambda X, g, eps: np.clip(X + eps * g, 0, 1), "SIGN of the gradient"),
    (lambda X, g, eps: np.clip(X - eps * np.sign(g), 0, 1), "wrong direction"),
    (lambda X, g, eps: X + eps * np.sign(g), "clip the result to [0, 1]"),
    (lambda X, g, eps: np.clip(X + eps * np.where(g >= 0, 1.0, -1.0), 0, 1), "np.sign(0) is 0"),
])
def test_typical_fgsm_mistakes_get_their_hint(wrong, hint):
    result = check_fgsm(wrong)
    assert not result and hint in result.hint


def test_correct_fgsm_passes_and_unimplemented_is_reported():
    assert check_fgsm(good_fgsm)
    assert check_fgsm(good_fgsm).message == "✓ fgsm: all 5 cases pass"

    def todo(X, grad, eps):
        raise NotImplementedError("step along the sign")

    assert "not implemented yet" in check_fgsm(todo).message


def good_pca(X, k):
    Xc = X - X.mean(axis=0)
    U, S, Vt = np.linalg.svd(Xc, full_matrices=False)
    return Xc @ Vt[:k].T


def test_correct_pca_passes_with_either_sign_per_component():
    assert check_pca(good_pca)
    assert check_pca(lambda X, k: -good_pca(X, k))
    assert check_pca(lambda X, k: good_pca(X, k) * np.where(np.arange(k) % 2, -1, 1))


def uncentred(X, k):
    return X @ np.linalg.svd(X, full_matrices=False)[2][:k].T


def only_U(X, k):
    return np.linalg.svd(X - X.mean(axis=0), full_matrices=False)[0][:, :k]


def columns_of_Vt(X, k):
    Xc = X - X.mean(axis=0)
    return Xc @ np.linalg.svd(Xc, full_matrices=False)[2][:, :k]


def eigh_unsorted(X, k):
    Xc = X - X.mean(axis=0)
    _, vectors = np.linalg.eigh(np.cov(Xc, rowvar=False))
    return Xc @ vectors[:, :k]


@pytest.mark.parametrize("wrong, hint", [
    (uncentred, "centre the data first"),
    (only_U, "U_k * S_k"),
    (columns_of_Vt, "ROWS of Vt"),
    (eigh_unsorted, "LARGEST singular values"),
])
def test_typical_pca_mistakes_get_their_hint(wrong, hint):
    result = check_pca(wrong)
    assert not result and hint in result.hint


def test_pca_returning_the_wrong_shape_is_explained():
    result = check_pca(lambda X, k: good_pca(X, k).T)
    assert not result and "expected shape" in result.message
