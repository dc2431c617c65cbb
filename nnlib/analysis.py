"""Looking inside a trained network: hidden activations, PCA, input gradients (saliency), adversarial
examples (FGSM) and simple image perturbations for robustness tests.

Shapes as everywhere in nnlib: X is (m, 784), one flattened 28x28 image per row, pixels in [0, 1].
"""
from dataclasses import dataclass

import numpy as np

from .activations import softmax
from .data import to_one_hot

SIDE = 28  # MNIST images are SIDE x SIDE


# -- what the hidden layers compute ------------------------------------------------------------


def hidden_activations(net, X):
    """The activations a^1, ..., a^(L-1) of every hidden layer for X (evaluation mode, no dropout).

    X: (m, sizes[0]).  Returns a list of L-1 arrays; entry l has shape (m, sizes[l+1]).
    The same as net.hidden_activations(X), as a function for symmetry with the rest of this module."""
    return net.hidden_activations(X)


def top_activating(activations, unit, k=8):
    """Indices of the k rows of activations (m, n_units) with the largest value of column `unit`,
    largest first (ties broken by the lower index, so the answer does not depend on the sort)."""
    activations = np.asarray(activations)
    if not 0 <= unit < activations.shape[1]:
        raise ValueError(f"unit must be in 0..{activations.shape[1] - 1}, got {unit}")
    return np.lexsort((np.arange(len(activations)), -activations[:, unit]))[:k]


# -- principal component analysis -------------------------------------------------------------


@dataclass(frozen=True)
class PCA:
    """Result of pca(): the projected data and what is needed to project more data the same way."""

    scores: np.ndarray          # (m, k): the data in the coordinates of the first k components
    components: np.ndarray      # (k, n): orthonormal rows, the directions of largest variance first
    mean: np.ndarray            # (n,): the column means subtracted before projecting
    explained_variance_ratio: np.ndarray  # (k,): fraction of the total variance along each component

    def transform(self, X):
        """Project new rows X (m', n) onto the same components: (X - mean) V_k^T, shape (m', k)."""
        return (np.asarray(X) - self.mean) @ self.components.T


def pca(X, k=2):
    """Principal component analysis through the singular value decomposition.

    Centre the columns, Xc = X - mean (m, n); factor Xc = U S V^T with S = diag(s_1 >= s_2 >= ...). The
    columns v_i of V (the rows of V^T) are the principal directions, largest singular value first; the
    variance along v_i is s_i^2 / (m-1). The scores Xc V_k = U_k S_k (m, k), V_k the first k columns of V,
    are the data in those coordinates.
    Singular vectors are defined only up to sign; we flip each so that its largest-magnitude coefficient
    is positive, which makes the result reproducible across machines and BLAS libraries.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"pca expects a 2-D array (m examples, n features), got shape {X.shape}")
    m, n = X.shape
    if m < 2:
        raise ValueError(f"pca needs at least 2 rows to measure variance, got {m}")
    if not 1 <= k <= min(m, n):
        raise ValueError(f"k must be between 1 and min(m, n) = {min(m, n)}, got {k}")
    mean = X.mean(axis=0)
    _, S, Vt = np.linalg.svd(X - mean, full_matrices=False)
    components = Vt[:k] * _sign_of_largest(Vt[:k])[:, None]
    total = float(np.sum(S ** 2)) or 1.0
    return PCA((X - mean) @ components.T, components, mean, S[:k] ** 2 / total)


def _sign_of_largest(rows):
    largest = rows[np.arange(len(rows)), np.abs(rows).argmax(axis=1)]
    return np.where(largest < 0, -1.0, 1.0)


# -- gradients with respect to the input ------------------------------------------------------


def input_gradient(net, X, delta_out):
    """dQ/dX for a scalar Q of the output layer's pre-activations Z^(L), given delta_out = dQ/dZ^(L).

    X: (m, sizes[0]);  delta_out: (m, sizes[-1])  ->  (m, sizes[0]).
    The backward pass of Network.backward, continued one step further: the first layer's dense_backward
    also returns dX = delta^(1) W^(1)^T, the gradient that training never needs but saliency maps are made of
    (weight decay, chapter 09, does not depend on X and does not touch it).
    """
    X = net.check_input(X)   # X as a 2-D array of the network's dtype, checked to have sizes[0] columns
    delta = np.asarray(delta_out, dtype=net.dtype)
    if delta.shape != (len(X), net.sizes[-1]):
        raise ValueError(f"delta_out must have shape ({len(X)}, {net.sizes[-1]}) (one row per example, one "
                         f"column per output unit), got {delta.shape}")
    _, caches = net.forward(X)
    _, dX = net.backward(delta, caches, input_gradient=True)   # (the weight gradients, dQ/dX): only dX is needed
    return dX


def saliency(net, X, classes):
    """Saliency maps: d z_c / dX, the gradient of each example's class score (the logit z_c of class
    classes[i] for row i) with respect to its input pixels.  X: (m, 784);  classes: (m,)  ->  (m, 784).
    Large |gradient| marks the pixels whose change would move that score most."""
    classes = _classes_for(X, classes, net.sizes[-1])
    return input_gradient(net, X, to_one_hot(classes, net.sizes[-1], net.dtype))


def pixel_contributions(net, X, classes):
    """Gradient times input: each pixel's share of the class score, x_j * d z_c / d x_j.
    X: (m, 784);  classes: (m,)  ->  (m, 784), zero wherever a pixel is 0 (no ink).

    For a ReLU network without biases z_c is exactly the sum of these shares (a piecewise-linear function
    through 0 is x . grad z_c on each linear piece); with biases, the biases make up the rest of z_c."""
    return saliency(net, X, classes) * net.check_input(X)


def loss_gradient(net, X, y):
    """d loss / dX for each example's own cross-entropy loss -ln p_y (not divided by m): (m, 784).

    For a softmax output the error at the logits is delta = p - onehot(y), the same as in training."""
    if net.output != "softmax":
        raise ValueError(f"loss_gradient needs a softmax output layer, this network has output={net.output!r}")
    y = _classes_for(X, y, net.sizes[-1])
    logits = net.logits(X)
    return input_gradient(net, X, softmax(logits) - to_one_hot(y, net.sizes[-1], net.dtype))


def _classes_for(X, classes, n_classes):
    classes = np.asarray(classes)
    if classes.ndim != 1 or len(classes) != len(X):
        raise ValueError(f"give one class per row of X: expected shape ({len(X)},), got {classes.shape}")
    if not np.issubdtype(classes.dtype, np.integer) or classes.min() < 0 or classes.max() >= n_classes:
        raise ValueError(f"classes must be integers in 0..{n_classes - 1}")
    return classes


# -- adversarial examples and robustness -------------------------------------------------------


def fgsm(X, grad, eps):
    """Fast gradient sign method (Goodfellow et al., 2015): X_adv = clip(X + eps * sign(dL/dX), 0, 1).

    Every pixel moves by at most eps, in the direction that increases the loss; clipping keeps the
    result a valid image.  X, grad: same shape;  eps >= 0."""
    X, grad = np.asarray(X), np.asarray(grad)
    if X.shape != grad.shape:
        raise ValueError(f"X and grad must have the same shape, got {X.shape} and {grad.shape}")
    if eps < 0:
        raise ValueError(f"eps is a step size and must be >= 0, got {eps}")
    return np.clip(X + eps * np.sign(grad), 0.0, 1.0)


def shift_images(X, rows=0, cols=0):
    """Move every 28x28 image in X (m, 784) down by `rows` and right by `cols` whole pixels (negative:
    up / left). Pixels pushed out are lost; the uncovered border is filled with background 0."""
    images = _as_images(X)
    shifted = np.zeros_like(images)
    r, c = int(rows), int(cols)
    if abs(r) < SIDE and abs(c) < SIDE:
        shifted[:, max(r, 0):SIDE + min(r, 0), max(c, 0):SIDE + min(c, 0)] = \
            images[:, max(-r, 0):SIDE + min(-r, 0), max(-c, 0):SIDE + min(-c, 0)]
    return shifted.reshape(len(images), -1)


def accuracy_under_shifts(net, X, y, shifts, axis="cols"):
    """The accuracy of net on the images X (m, 784) with labels y (m,), moved by each number of pixels in
    `shifts` (shift_images): axis "cols" moves them right (negative: left), "rows" down (negative: up).
    Returns an array with one accuracy (a fraction) per shift."""
    if axis not in ("rows", "cols"):
        raise ValueError(f'axis must be "rows" (shift down/up) or "cols" (shift right/left), got {axis!r}')
    y = np.asarray(y)
    if y.shape != (len(X),):
        raise ValueError(f"y must hold one label per image: expected shape ({len(X)},), got {y.shape}")
    return np.array([float(np.mean(net.predict(shift_images(X, **{axis: s})) == y)) for s in shifts])


def add_noise(X, sigma, rng):
    """X + Gaussian noise of standard deviation sigma, clipped to the valid pixel range [0, 1]."""
    if sigma < 0:
        raise ValueError(f"sigma is a standard deviation and must be >= 0, got {sigma}")
    X = np.asarray(X)
    return np.clip(X + sigma * rng.standard_normal(X.shape), 0.0, 1.0).astype(X.dtype, copy=False)


def _as_images(X):
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != SIDE * SIDE:
        raise ValueError(f"expected flattened 28x28 images of shape (m, 784), got {X.shape}")
    return X.reshape(len(X), SIDE, SIDE)
