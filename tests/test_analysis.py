"""nnlib.analysis: hidden activations, PCA, input gradients checked numerically, FGSM, shifts and noise."""
import numpy as np
import pytest

from nnlib import Network, numerical_gradient, rel_error
from nnlib.activations import softmax
from nnlib.analysis import (accuracy_under_shifts, add_noise, fgsm, hidden_activations, input_gradient,
                            loss_gradient, pca, pixel_contributions, saliency, shift_images,
                            top_activating)


@pytest.fixture
def small_net():
    return Network([6, 5, 4, 3], activation="tanh", loss="cross_entropy", init="xavier", seed=1)


@pytest.fixture
def X():
    return np.random.default_rng(0).random((4, 6))


# -- hidden activations --------------------------------------------------------------------------


def test_hidden_activations_are_the_layer_outputs(small_net, X):
    a1, a2 = hidden_activations(small_net, X)
    expected1 = np.tanh(X @ small_net.weights[0] + small_net.biases[0])
    expected2 = np.tanh(expected1 @ small_net.weights[1] + small_net.biases[1])
    assert a1.shape == (4, 5) and a2.shape == (4, 4)
    np.testing.assert_allclose(a1, expected1)
    np.testing.assert_allclose(a2, expected2)


def test_hidden_activations_reject_wrong_width(small_net):
    with pytest.raises(ValueError, match="features per row"):
        hidden_activations(small_net, np.zeros((2, 7)))


def test_top_activating_sorts_largest_first_and_breaks_ties_by_index():
    activations = np.array([[0.1, 5.0], [0.9, 1.0], [0.9, 2.0], [0.0, 3.0]])
    assert top_activating(activations, 0, k=3).tolist() == [1, 2, 0]
    assert top_activating(activations, 1, k=2).tolist() == [0, 3]
    with pytest.raises(ValueError, match="unit must be in 0..1"):
        top_activating(activations, 2)


# -- PCA -----------------------------------------------------------------------------------------


def elongated_cloud(m=200, seed=0):
    rng = np.random.default_rng(seed)
    angle = 0.5
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return rng.standard_normal((m, 2)) * [4.0, 0.5] @ rotation.T + [10.0, -3.0], rotation


def test_pca_finds_the_long_axis_of_an_elongated_cloud():
    cloud, rotation = elongated_cloud()
    result = pca(cloud, k=2)
    long_axis = rotation[:, 0]
    assert abs(result.components[0] @ long_axis) > 0.999
    assert result.explained_variance_ratio[0] > 0.95
    np.testing.assert_allclose(result.explained_variance_ratio.sum(), 1.0)


def test_pca_scores_are_centred_projections_and_components_orthonormal():
    X = np.random.default_rng(1).standard_normal((50, 6)) @ np.diag([6, 5, 4, 3, 2, 1]) + 7.0
    result = pca(X, k=3)
    assert result.scores.shape == (50, 3) and result.components.shape == (3, 6)
    np.testing.assert_allclose(result.components @ result.components.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(result.scores.mean(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(result.scores, (X - X.mean(axis=0)) @ result.components.T)
    np.testing.assert_allclose(result.transform(X), result.scores)
    variances = result.scores.var(axis=0)
    assert np.all(np.diff(variances) < 0), "components must come largest variance first"


def test_pca_matches_the_eigenvectors_of_the_covariance_matrix():
    X = np.random.default_rng(2).standard_normal((80, 4)) @ np.diag([3.0, 2.0, 1.0, 0.5])
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(X, rowvar=False))
    result = pca(X, k=2)
    for i in range(2):
        assert abs(result.components[i] @ eigenvectors[:, -1 - i]) == pytest.approx(1.0)
    np.testing.assert_allclose(result.explained_variance_ratio, eigenvalues[::-1][:2] / eigenvalues.sum())


def test_pca_sign_convention_makes_the_largest_coefficient_positive():
    X, _ = elongated_cloud()
    for flipped in (X, -X):
        components = pca(flipped, 2).components
        assert np.all(components[np.arange(2), np.abs(components).argmax(axis=1)] > 0)


@pytest.mark.parametrize("X, k, message", [
    (np.zeros(5), 1, "2-D array"),
    (np.zeros((1, 3)), 1, "at least 2 rows"),
    (np.zeros((4, 3)), 4, "k must be between 1 and"),
    (np.zeros((4, 3)), 0, "k must be between 1 and"),
])
def test_pca_rejects_bad_input_clearly(X, k, message):
    with pytest.raises(ValueError, match=message):
        pca(X, k)


# -- gradients with respect to the input ---------------------------------------------------------


def logits(net, X):
    _, caches = net.forward(X)
    return caches[-1][1]


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "leaky_relu"])
def test_saliency_is_the_gradient_of_the_class_logit(activation, X):
    net = Network([6, 5, 4, 3], activation=activation, loss="cross_entropy", init="xavier", seed=3)
    classes = np.array([0, 2, 1, 2])
    got = saliency(net, X, classes)
    X_work = X.copy()
    expected = numerical_gradient(lambda: logits(net, X_work)[np.arange(4), classes].sum(), X_work)
    assert rel_error(got, expected) < 1e-7


def test_pixel_contributions_add_up_to_the_logit_of_a_relu_network_without_biases(X):
    net = Network([6, 5, 4, 3], activation="relu", loss="cross_entropy", init="he", seed=4)
    assert all(not b.any() for b in net.biases)   # nnlib starts biases at 0
    classes = np.array([1, 0, 2, 1])
    shares = pixel_contributions(net, X, classes)
    assert np.allclose(shares, saliency(net, X, classes) * X)
    assert np.allclose(shares.sum(axis=1), logits(net, X)[np.arange(4), classes])
    assert not pixel_contributions(net, np.zeros_like(X), classes).any()


def test_loss_gradient_is_the_gradient_of_each_examples_cross_entropy(small_net, X):
    y = np.array([2, 0, 1, 1])
    got = loss_gradient(small_net, X, y)
    X_work = X.copy()

    def total_loss():
        p = softmax(logits(small_net, X_work))
        return -np.log(p[np.arange(4), y]).sum()

    assert rel_error(got, numerical_gradient(total_loss, X_work)) < 1e-7


def test_input_gradient_rejects_a_delta_of_the_wrong_shape(small_net, X):
    with pytest.raises(ValueError, match=r"delta_out must have shape \(4, 3\)"):
        input_gradient(small_net, X, np.zeros((4, 2)))


def test_saliency_rejects_bad_classes(small_net, X):
    with pytest.raises(ValueError, match="one class per row"):
        saliency(small_net, X, np.array([0, 1]))
    with pytest.raises(ValueError, match="integers in 0..2"):
        saliency(small_net, X, np.array([0, 1, 2, 3]))


def test_loss_gradient_needs_softmax():
    net = Network([4, 3, 2], loss="quadratic")
    with pytest.raises(ValueError, match="softmax"):
        loss_gradient(net, np.zeros((1, 4)), np.array([0]))


# -- FGSM, shifts, noise -------------------------------------------------------------------------


def test_fgsm_moves_each_pixel_by_eps_along_the_gradient_sign_and_clips():
    X = np.array([[0.0, 0.5, 0.95, 0.3]])
    grad = np.array([[-1.0, 2.0, 3.0, 0.0]])
    np.testing.assert_allclose(fgsm(X, grad, 0.1), [[0.0, 0.6, 1.0, 0.3]])
    np.testing.assert_allclose(fgsm(X, grad, 0.0), X)


def test_fgsm_increases_the_loss_of_a_trained_direction(small_net, X):
    y = np.array([2, 0, 1, 1])
    before = -np.log(softmax(logits(small_net, X))[np.arange(4), y])
    after = -np.log(softmax(logits(small_net, fgsm(X, loss_gradient(small_net, X, y), 0.01)))[np.arange(4), y])
    assert np.all(after > before)


def test_fgsm_rejects_mismatched_shapes_and_negative_eps():
    with pytest.raises(ValueError, match="same shape"):
        fgsm(np.zeros((1, 4)), np.zeros((1, 3)), 0.1)
    with pytest.raises(ValueError, match="eps"):
        fgsm(np.zeros((1, 4)), np.zeros((1, 4)), -0.1)


def test_shift_images_moves_pixels_and_fills_with_background():
    image = np.zeros((28, 28))
    image[10, 12] = 1.0
    X = image.reshape(1, -1)
    moved = shift_images(X, rows=2, cols=-3).reshape(28, 28)
    assert moved[12, 9] == 1.0 and moved.sum() == 1.0
    np.testing.assert_array_equal(shift_images(shift_images(X, 1, 1), -1, -1), X)
    assert shift_images(X, rows=20).sum() == 0.0
    assert shift_images(X, cols=28).sum() == 0.0
    np.testing.assert_array_equal(shift_images(X), X)


def test_shift_images_rejects_unflattened_images():
    with pytest.raises(ValueError, match=r"\(m, 784\)"):
        shift_images(np.zeros((2, 28, 28)), 1, 0)


class InkColumn:
    """A fake classifier: the leftmost inked column (0..27) of an image as its class."""

    def predict(self, X):
        return np.argmax(X.reshape(len(X), 28, 28).max(axis=1) > 0, axis=1)


def test_accuracy_under_shifts_moves_the_images_along_the_chosen_axis():
    X = np.zeros((3, 28, 28))
    for i, column in enumerate((5, 10, 20)):
        X[i, 3 + i, column] = 1.0
    X, y = X.reshape(3, 784), np.array([5, 10, 20])
    np.testing.assert_array_equal(accuracy_under_shifts(InkColumn(), X, y, [-1, 0, 2]), [0, 1, 0])
    np.testing.assert_array_equal(accuracy_under_shifts(InkColumn(), X, y, [-1, 0, 2], axis="rows"), [1, 1, 1])
    np.testing.assert_array_equal(accuracy_under_shifts(InkColumn(), X, y - 1, [-1, 0]), [1, 0])
    with pytest.raises(ValueError, match='axis must be "rows"'):
        accuracy_under_shifts(InkColumn(), X, y, [0], axis="x")
    with pytest.raises(ValueError, match=r"one label per image: expected shape \(3,\)"):
        accuracy_under_shifts(InkColumn(), X, y[:2], [0])


def test_add_noise_is_reproducible_and_stays_in_range():
    X = np.random.default_rng(0).random((3, 784))
    a = add_noise(X, 0.3, np.random.default_rng(5))
    b = add_noise(X, 0.3, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert a.min() >= 0.0 and a.max() <= 1.0 and not np.allclose(a, X)
    np.testing.assert_array_equal(add_noise(X, 0.0, np.random.default_rng(5)), X)
    with pytest.raises(ValueError, match="sigma"):
        add_noise(X, -1.0, np.random.default_rng(0))


def test_hidden_activations_function_is_the_network_method(small_net, X):
    for a, b in zip(hidden_activations(small_net, X), small_net.hidden_activations(X)):
        np.testing.assert_array_equal(a, b)
