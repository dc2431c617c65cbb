"""Numerical gradient checking: the test that backpropagation is right.

Centred differences: df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / 2h, with error O(h^2).
"""
import numpy as np


def numerical_gradient(f, x, h=1e-5):
    """Gradient of the scalar function f() with respect to the array x, by centred differences.

    f takes no arguments and reads x (which is changed in place and restored); returns an array shaped like x.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)  # views into x and grad
    for i in range(flat_x.size):
        original = flat_x[i]
        flat_x[i] = original + h
        f_plus = f()
        flat_x[i] = original - h
        f_minus = f()
        flat_x[i] = original
        flat_grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def rel_error(a, b):
    """max_i |a_i - b_i| / max(1e-8, |a_i| + |b_i|): about 1e-7 or less means two gradients agree."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))) if a.size else 0.0


def check_network_gradients(net, X, Y, h=1e-5, training=False):
    """Relative error between backprop and numerical gradients for every parameter of net.

    training=False (default): evaluation mode, no dropout (a random mask would change f between
    evaluations); batch norm uses its running averages, so every parameter, gamma and beta included, is checked.
    training=True: batch norm normalizes with the batch's own mean and variance, the mode training uses, whose
    backward pass carries the mean and variance terms; dropout is switched off and the running averages are
    restored afterwards. There the bias b^(l) of a normalized layer cancels in z - mean (its gradient is exactly
    0, which a relative error cannot measure), so it is left out of the result.
    Returns a dict such as {'W0': 3e-10, 'b0': 1e-11, ..., 'gamma0': 2e-10, 'beta0': 1e-11}. Use float64 networks;
    any model with the Network interface works in evaluation mode, a ConvNet too.

    Two ways to get a large error from a correct backward pass:
    - a ReLU kink: if a pre-activation z lies within about h of 0 (zero biases and a row whose previous
      layer is all zeros give z == 0 exactly), x +- h lands on both sides of the kink and the centred
      difference averages two slopes. Use nonzero biases and inputs that keep every |z| well above h.
    - tiny entries: the difference quotient carries an absolute error near eps * |C| / h ~ 1e-11, so an
      entry of the gradient around 1e-5 or smaller has a large *relative* error however right it is.
    """
    if not training:
        _, analytic = net.loss_and_gradients(X, Y, training=False)
        return {name: rel_error(grad, numerical_gradient(lambda: net.compute_loss(X, Y), param, h))
                for name, param, grad in zip(net.parameter_names(), net.parameters(), analytic)}
    if not hasattr(net, "gammas"):
        raise ValueError(f"training=True checks batch normalization's training mode, and this "
                         f"{type(net).__name__} has none: check it with training=False")
    saved_dropout, saved_state = net.dropout, [array.copy() for array in net.running_averages()]
    net.dropout = 0.0
    try:
        _, analytic = net.loss_and_gradients(X, Y, training=True)
        cancelled = {f"b{l}" for l in range(len(net.gammas))}  # normalized layers' biases
        return {name: rel_error(grad, numerical_gradient(lambda: net.loss_and_gradients(X, Y)[0], param, h))
                for name, param, grad in zip(net.parameter_names(), net.parameters(), analytic)
                if name not in cancelled}
    finally:
        net.dropout = saved_dropout
        for array, saved in zip(net.running_averages(), saved_state):
            array[...] = saved
