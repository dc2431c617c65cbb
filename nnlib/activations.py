"""Activation functions and their derivatives, applied element-wise (softmax: row-wise).

Every function takes z of any shape (softmax: (m, n_out), one row per example) and returns the same shape.
"""
import numpy as np


def sigmoid(z):
    """sigma(z) = 1 / (1 + e^-z), computed as (1 + tanh(z/2)) / 2: the same function, but it never
    overflows (exp(1000) would), so large |z| gives 0 or 1 without warnings."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def sigmoid_prime(z):
    """sigma'(z) = sigma(z) (1 - sigma(z))."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z):
    """tanh(z) = (e^z - e^-z) / (e^z + e^-z), in (-1, 1)."""
    return np.tanh(z)


def tanh_prime(z):
    """tanh'(z) = 1 - tanh(z)^2."""
    t = np.tanh(z)
    return 1.0 - t * t


def relu(z):
    """ReLU(z) = max(0, z)."""
    return np.maximum(z, 0)


def relu_prime(z):
    """ReLU'(z) = 1 if z > 0 else 0 (we take 0 at z = 0)."""
    return (z > 0).astype(z.dtype)


def leaky_relu(z, alpha=0.01):
    """LeakyReLU(z) = z if z > 0 else alpha z: a small slope keeps negative units learning."""
    return np.where(z > 0, z, alpha * z)


def leaky_relu_prime(z, alpha=0.01):
    """LeakyReLU'(z) = 1 if z > 0 else alpha."""
    return np.where(z > 0, 1.0, alpha).astype(z.dtype)


def identity(z):
    """identity(z) = z: a linear output layer."""
    return z


def identity_prime(z):
    """identity'(z) = 1."""
    return np.ones_like(z)


def softmax(z):
    """Row-wise softmax: softmax(z)_ij = e^(z_ij) / sum_k e^(z_ik), for z of shape (m, n_out).

    Subtracting each row's maximum first changes nothing mathematically (softmax(z + c) = softmax(z))
    but keeps every exponent <= 0, so |z| ~ 1000 neither overflows nor produces nan.
    """
    z = np.asarray(z)
    shifted = z - z.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_backward(da, a):
    """Push dL/da back through softmax without forming the (n_out, n_out) Jacobian per row:
    dL/dz_i = a_i (dL/da_i - sum_j dL/da_j a_j).  da, a: (m, n_out) -> (m, n_out)."""
    return a * (da - np.sum(da * a, axis=-1, keepdims=True))


def log_sum_exp(z):
    """log sum_k e^(z_k) per row, computed as max + log sum e^(z - max) so it never overflows. (m, n_out) -> (m,)."""
    peak = z.max(axis=-1, keepdims=True)
    return (peak + np.log(np.exp(z - peak).sum(axis=-1, keepdims=True)))[..., 0]


# name -> (function, derivative): what a hidden layer may use. Softmax is an output-only activation.
ELEMENTWISE = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "leaky_relu": (leaky_relu, leaky_relu_prime),
    "identity": (identity, identity_prime),
}
OUTPUT_ACTIVATIONS = (*ELEMENTWISE, "softmax")

# f'(z) written with the already computed a = f(z), so a backward pass recomputes nothing.
# Each equals the matching *_prime(z) above (tests/test_activations.py checks this).
_DERIVATIVE_GIVEN_OUTPUT = {
    "sigmoid": lambda z, a: a * (1.0 - a),
    "tanh": lambda z, a: 1.0 - a * a,
    "relu": lambda z, a: z > 0,
    "leaky_relu": lambda z, a: leaky_relu_prime(z),
    "identity": lambda z, a: 1.0,
}


def derivative_given_output(name, z, a):
    """f'(z) for the element-wise activation `name`, reusing a = f(z) where that is cheaper."""
    return _DERIVATIVE_GIVEN_OUTPUT[name](z, a)


def check_activation_name(name, allowed=tuple(ELEMENTWISE)):
    """name itself if it is one of `allowed`, else a ValueError listing the choices."""
    if name not in allowed:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(allowed)}")
    return name
