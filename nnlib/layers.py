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


class BatchNormState:
    """The running averages a batch-norm layer keeps for evaluation: mean and var, each (n,).

    momentum: how much of the old average each training batch keeps (running = momentum * running +
    (1 - momentum) * batch statistic). eps: added to the variance before the square root."""

    def __init__(self, n, momentum=0.9, eps=1e-5, dtype=np.float64):
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"batch-norm momentum must be in [0, 1), got {momentum}")
        if not eps > 0:
            raise ValueError(f"batch-norm eps must be > 0, got {eps}")
        self.mean = np.zeros(n, dtype=dtype)
        self.var = np.ones(n, dtype=dtype)
        self.momentum, self.eps = float(momentum), float(eps)


def batchnorm_forward(Z, gamma, beta, state, training):
    """Batch normalization of each column (unit) of Z, then a learned scale and shift:

        training:    mu = mean of Z over the batch,  var = mean of (Z - mu)^2 over the batch   (n,)
                     and the running averages in `state` move towards mu and var (in place);
        evaluation:  mu, var = state.mean, state.var  (nothing changes);
        Z_hat = (Z - mu) / sqrt(var + eps);   out = gamma * Z_hat + beta.

    Z: (m, n);  gamma, beta: (n,);  state: a BatchNormState for n units.  Returns out (m, n) and the
    cache batchnorm_backward needs. Training needs m >= 2: with one example Z - mu is 0 whatever Z is.
    """
    if training and len(Z) < 2:
        raise ValueError(f"batch normalization in training mode needs at least 2 examples per batch, got "
                         f"{len(Z)}: with one example, Z - mean is 0 for every input and nothing can be learned "
                         f"(use a batch size of 2 or more, or evaluation mode)")
    if training:
        mu, var = Z.mean(axis=0), Z.var(axis=0)
        state.mean[...] = state.momentum * state.mean + (1 - state.momentum) * mu
        state.var[...] = state.momentum * state.var + (1 - state.momentum) * var
    else:
        mu, var = state.mean, state.var
    inv_std = 1.0 / np.sqrt(var + state.eps)
    Z_hat = (Z - mu) * inv_std
    return gamma * Z_hat + beta, (Z_hat, gamma, inv_std, training)


def batchnorm_backward(dout, cache):
    """Gradients of batch normalization, given dout = dL/d(out) of shape (m, n):

        dgamma = sum over the batch of dout * Z_hat,   dbeta = sum over the batch of dout      (n,)
        training (mu and var depend on Z):
            dZ = inv_std / m * (m * dZ_hat - sum(dZ_hat) - Z_hat * sum(dZ_hat * Z_hat)),  dZ_hat = dout * gamma
        evaluation (mu and var are constants):   dZ = dout * gamma * inv_std.

    Returns dZ (m, n), dgamma (n,), dbeta (n,).
    """
    Z_hat, gamma, inv_std, training = cache
    dgamma, dbeta = (dout * Z_hat).sum(axis=0), dout.sum(axis=0)
    dZ_hat = dout * gamma
    if not training:
        return dZ_hat * inv_std, dgamma, dbeta
    m = len(dout)
    dZ = inv_std / m * (m * dZ_hat - dZ_hat.sum(axis=0) - Z_hat * (dZ_hat * Z_hat).sum(axis=0))
    return dZ, dgamma, dbeta
