"""Chapter 10 checkers: correct answers (also unusual ones) pass, each typical mistake fails with its hint."""
import numpy as np
import pytest

from nnlib.exercises.ch10 import check_batchnorm_backward, check_batchnorm_forward


# -- forward -----------------------------------------------------------------------------------------------

def forward(Z, gamma, beta, state, training, ddof=0, axis=0, eps_inside=True, use_eps=True, momentum_swapped=False,
            update_in_training=True, update_in_eval=False, batch_stats_in_eval=False, running_stats_in_training=False,
            running_ddof=None, running_std=False, affine="right"):
    """A batch-norm forward pass with every typical mistake as a switch (all off: correct)."""
    mu, var = Z.mean(axis=axis, keepdims=axis == 1), Z.var(axis=axis, ddof=ddof, keepdims=axis == 1)
    use_batch = (training and not running_stats_in_training) or (not training and batch_stats_in_eval)
    mean, variance = (mu, var) if use_batch else (state.mean, state.var)
    eps = state.eps if use_eps else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        Z_hat = (Z - mean) / (np.sqrt(variance + eps) if eps_inside else np.sqrt(variance) + eps)
    if (training and update_in_training) or (not training and update_in_eval):
        k = 1 - state.momentum if momentum_swapped else state.momentum
        batch_var = Z.var(axis=0, ddof=ddof if running_ddof is None else running_ddof)
        state.mean[...] = k * state.mean + (1 - k) * Z.mean(axis=0)
        state.var[...] = k * state.var + (1 - k) * (np.sqrt(batch_var) if running_std else batch_var)
    return {"right": gamma * Z_hat + beta, "none": Z_hat, "swapped": beta * Z_hat + gamma}[affine]


def rebinding_forward(Z, gamma, beta, state, training):
    """Unusual but correct: new arrays for the running averages instead of in-place updates, and the variance
    as E[Z^2] - mu^2."""
    if training:
        mu = Z.sum(axis=0) / len(Z)
        var = (Z ** 2).sum(axis=0) / len(Z) - mu ** 2
        state.mean = state.momentum * state.mean + (1 - state.momentum) * mu
        state.var = state.momentum * state.var + (1 - state.momentum) * var
    else:
        mu, var = state.mean, state.var
    return beta + gamma * (Z - mu) / np.sqrt(var + state.eps)


def column_loop_forward(Z, gamma, beta, state, training):
    """Unusual but correct: one unit at a time, in pure Python arithmetic per column."""
    out = np.empty_like(Z)
    for j in range(Z.shape[1]):
        column = Z[:, j]
        if training:
            mu = sum(column) / len(column)
            var = sum((z - mu) ** 2 for z in column) / len(column)
            state.mean[j] = state.momentum * state.mean[j] + (1 - state.momentum) * mu
            state.var[j] = state.momentum * state.var[j] + (1 - state.momentum) * var
        else:
            mu, var = state.mean[j], state.var[j]
        out[:, j] = gamma[j] * (column - mu) / (var + state.eps) ** 0.5 + beta[j]
    return out


@pytest.mark.parametrize("correct", [forward, rebinding_forward, column_loop_forward])
def test_correct_forward_passes(correct):
    result = check_batchnorm_forward(correct)
    assert result, result.message
    assert result.message == "✓ batchnorm_forward: all 6 cases pass, running averages included"


@pytest.mark.parametrize("mistake, hint", [
    ({"ddof": 1}, "divides by m (np.var's default), not m - 1"),
    ({"running_ddof": 1}, "state.var must average the same (biased"),
    ({"axis": 1}, "over axis=0, the examples"),
    ({"use_eps": False}, "add eps inside the square root"),
    ({"eps_inside": False}, "sqrt(var + eps), not sqrt(var) + eps"),
    ({"update_in_eval": True}, "evaluation mode must not change the running averages"),
    ({"batch_stats_in_eval": True}, "in evaluation mode normalize with state.mean and state.var"),
    ({"update_in_training": False}, "in training mode update the running averages in place"),
    ({"momentum_swapped": True}, "the momentum weighs the OLD average"),
    ({"running_stats_in_training": True}, "in training mode normalize with the batch's own mean and variance"),
    ({"running_std": True}, "you averaged standard deviations"),
    ({"affine": "none"}, "scale and shift the normalized values"),
    ({"affine": "swapped"}, "(you swapped them)"),
])
def test_typical_forward_mistakes_get_their_hint(mistake, hint):
    result = check_batchnorm_forward(lambda *args: forward(*args, **mistake))
    assert not result and hint in result.hint, result.message


def test_forward_stub_crash_and_cache_are_reported():
    def todo(*args):
        raise NotImplementedError("normalize")

    assert "not implemented yet" in check_batchnorm_forward(todo).message
    assert "raised KeyError" in check_batchnorm_forward(lambda *args: {}["x"]).message
    tupled = check_batchnorm_forward(lambda *args: (forward(*args), None))
    assert not tupled and "return only out" in tupled.hint


# -- backward ----------------------------------------------------------------------------------------------

def backward(dout, Z, gamma, eps, mean_term=True, var_term=True, use_gamma=True, dgamma_kind="Z_hat",
             dbeta_kind="sum", ddof=0, power=1, order="right", sum_axis=0):
    """The closed-form backward pass with every typical mistake as a switch (all off: correct)."""
    m = len(Z)
    mu, var = Z.mean(axis=0), Z.var(axis=0, ddof=ddof)
    inv_std = (var + eps) ** -0.5 if power == 1 else (var + eps) ** (-0.5 * power)
    Z_hat = (Z - mu) * (var + eps) ** -0.5
    dZ_hat = dout * gamma if use_gamma else dout
    dZ = dZ_hat.copy()
    if mean_term:
        dZ -= dZ_hat.mean(axis=0)
    if var_term:
        dZ -= Z_hat * (dZ_hat * Z_hat).sum(axis=0) / (m - ddof)
    dgamma = {"Z_hat": (dout * Z_hat).sum(axis=sum_axis), "none": dout.sum(axis=0),
              "Z": (dout * Z).sum(axis=0)}[dgamma_kind]
    dbeta = dout.sum(axis=sum_axis) if dbeta_kind == "sum" else dout.mean(axis=0)
    grads = (inv_std * dZ, dgamma, dbeta)
    return grads if order == "right" else (grads[0], grads[2], grads[1])


def graph_backward(dout, Z, gamma, eps):
    """Unusual but correct: node by node through the computational graph."""
    m = Z.shape[0]
    mu = np.mean(Z, axis=0)
    c = Z - mu
    v = np.mean(c * c, axis=0)
    s = np.sqrt(v + eps)
    Z_hat = c / s
    dZ_hat = dout * gamma
    dc = dZ_hat / s
    ds = -np.sum(dZ_hat * c, axis=0) / s ** 2
    dv = ds / (2 * s)
    dc = dc + 2 * c * dv / m
    dmu = -np.sum(dc, axis=0)
    return dc + dmu / m, np.sum(dout * Z_hat, axis=0), np.sum(dout, axis=0)


def jacobian_backward(dout, Z, gamma, eps):
    """Unusual but correct: the full m x m Jacobian of each column's Z_hat, multiplied out."""
    m, n = Z.shape
    dZ = np.empty_like(Z)
    Z_hat = (Z - Z.mean(axis=0)) / np.sqrt(Z.var(axis=0) + eps)
    for j in range(n):
        inv_std = 1 / np.sqrt(Z[:, j].var() + eps)
        J = inv_std * (np.eye(m) - 1 / m - np.outer(Z_hat[:, j], Z_hat[:, j]) / m)  # d Z_hat_i / d Z_k
        dZ[:, j] = J.T @ (dout[:, j] * gamma[j])
    return dZ, np.einsum("ij,ij->j", dout, Z_hat), dout.sum(axis=0)


@pytest.mark.parametrize("correct", [backward, graph_backward, jacobian_backward])
def test_correct_backward_passes(correct):
    result = check_batchnorm_backward(correct)
    assert result, result.message
    assert result.message == "✓ batchnorm_backward: all 4 cases agree with numerical gradients"


@pytest.mark.parametrize("mistake, hint", [
    ({"mean_term": False}, "misses the path through the mean"),
    ({"var_term": False}, "misses the path through the variance"),
    ({"mean_term": False, "var_term": False}, "treats the mean and variance as constants"),
    ({"use_gamma": False}, "dZ_hat = dout * gamma"),
    ({"dgamma_kind": "none"}, "dgamma = sum over the batch of dout * Z_hat"),
    ({"dgamma_kind": "Z"}, "NORMALIZED Z_hat, not by Z"),
    ({"dbeta_kind": "mean"}, "the SUM of dout over the batch, not its mean"),
    ({"ddof": 1}, "divides the variance by m (biased), so the backward pass must too"),
    ({"power": 2}, "divide by sqrt(var + eps) once"),
    ({"power": -1}, "not sqrt(var + eps)"),
    ({"order": "swapped"}, "return (dZ, dgamma, dbeta) in that order"),
    ({"sum_axis": 1}, "sum over the batch (axis=0)"),
])
def test_typical_backward_mistakes_get_their_hint(mistake, hint):
    result = check_batchnorm_backward(lambda *args: backward(*args, **mistake))
    assert not result and hint in result.hint, result.message


def test_backward_with_means_over_the_wrong_axis_is_told_that_dZ_must_sum_to_zero():
    def wrong_axis(dout, Z, gamma, eps):
        dZ, dgamma, dbeta = backward(dout, Z, gamma, eps)
        return dZ + (dout * gamma).mean(axis=0) - (dout * gamma).mean(axis=1, keepdims=True), dgamma, dbeta

    result = check_batchnorm_backward(wrong_axis)
    assert not result and "dZ sums to 0 over the batch" in result.hint


def test_backward_stub_is_reported():
    def todo(*args):
        raise NotImplementedError("backward")

    assert "not implemented yet" in check_batchnorm_backward(todo).message
