"""Forward/backward pairs in the CS231n style: forward returns (out, cache), backward takes (dout, cache).

Shape convention (the whole package): batch first. X is (m, n_in), one example per row;
a dense layer computes Z = X @ W + b with W (n_in, n_out) and b (n_out,), so Z is (m, n_out).
"""
import numpy as np

from .activations import ELEMENTWISE, derivative_given_output


def dense_forward(X, W, b):
    """Affine layer: Z = X @ W + b.

    X: (m, n_in);  W: (n_in, n_out);  b: (n_out,)  ->  Z: (m, n_out), cache (X, W).
    """
    return X @ W + b, (X, W)


def dense_backward(dZ, cache, need_dX=True):
    """Gradients of the affine layer, given dZ = dL/dZ of shape (m, n_out):

    dX = dZ @ W.T  (m, n_in);   dW = X.T @ dZ  (n_in, n_out);   db = sum of dZ over the batch  (n_out,).
    need_dX=False skips dX (the first layer's input needs no gradient) and returns None for it.
    """
    X, W = cache
    dX = dZ @ W.T if need_dX else None
    return dX, X.T @ dZ, dZ.sum(axis=0)


def activation_forward(Z, name):
    """A = f(Z) element-wise for f in sigmoid, tanh, relu, leaky_relu, identity.  Z, A: (m, n)."""
    A = ELEMENTWISE[name][0](Z)
    return A, (name, Z, A)


def activation_backward(dA, cache):
    """dZ = dA * f'(Z), element-wise.  dA, dZ: (m, n)."""
    name, Z, A = cache
    return dA * derivative_given_output(name, Z, A)


def dropout_forward(A, p_drop, rng):
    """Inverted dropout: zero each unit with probability p_drop and scale the survivors by 1/(1-p_drop),
    so the expected activation is unchanged and evaluation needs no rescaling.  A: (m, n)."""
    keep = 1.0 - p_drop
    mask = (rng.random(A.shape, dtype=np.float32) < keep).astype(A.dtype) / A.dtype.type(keep)
    return A * mask, mask


def dropout_backward(dout, mask):
    """Gradient flows only through the kept units, with the same 1/(1-p_drop) scale."""
    return dout * mask
