"""Checkers for the exercises of chapter 10 (batch normalization).

    check_batchnorm_forward(fn)    fn(Z, gamma, beta, state, training) -> out (m, n); in training mode it also
                                   moves state.mean and state.var towards the batch's mean and variance
    check_batchnorm_backward(fn)   fn(dout, Z, gamma, eps) -> (dZ, dgamma, dbeta) in training mode

The forward checker compares with nnlib's batchnorm_forward and then the running averages the student's
function left behind. The backward checker compares with gradients computed numerically by centred
differences of sum(dout * out), so any correct formula passes: the step-by-step graph or the closed form.
Each names the typical mistake it recognises.
"""
import copy

import numpy as np

from ..gradcheck import numerical_gradient
from ..layers import BatchNormState, batchnorm_forward
from .harness import Case, CheckResult, compare, describe, failure


def _close(a, b):
    return isinstance(a, np.ndarray) and a.shape == np.shape(b) and np.allclose(a, b, rtol=1e-6, atol=1e-8)


def _state(mean, var, momentum=0.9, eps=1e-5):
    state = BatchNormState(len(mean), momentum=momentum, eps=eps)
    state.mean[...], state.var[...] = mean, var
    return state


# -- forward -----------------------------------------------------------------------------------


def forward_cases():
    """(Z, gamma, beta, state, training): rectangular batches in both modes, a constant unit, a batch of two,
    a unit with a variance near eps, momentum other than 0.9 and running averages away from (0, 1)."""
    rng = np.random.default_rng(10)
    Z = 3 + 2 * rng.standard_normal((6, 4)) * [1, 3, 0.5, 2]
    gamma, beta = np.array([1.0, 2.0, 0.5, 1.5]), np.array([0.0, -1.0, 0.3, 2.0])
    fresh = lambda n, **kw: _state(np.zeros(n), np.ones(n), **kw)
    small = np.array([[1.0, 5.0, 2.0], [1.0, 1.0, 2.002], [1.0, 3.0, 2.001]])  # constant, ordinary, tiny spread
    return [
        Case("training, 6 examples of 4 units, fresh running averages", (Z, gamma, beta, fresh(4), True)),
        Case("training, running averages (2, 3, -1, 0.5) / (4, 9, 0.25, 1), momentum 0.8",
             (Z, gamma, beta, _state([2.0, 3.0, -1.0, 0.5], [4.0, 9.0, 0.25, 1.0], momentum=0.8), True)),
        Case("evaluation: normalize with the running averages", (Z[:3], gamma, beta,
             _state([2.0, 3.0, -1.0, 0.5], [4.0, 9.0, 0.25, 1.0]), False)),
        Case("training, a constant unit and one whose variance is below eps (eps 1e-5)",
             (small, np.ones(3), np.zeros(3), fresh(3), True)),
        Case("training, a batch of two examples, eps 1e-3", (Z[:2, :2], gamma[:2], beta[:2], fresh(2, eps=1e-3),
                                                               True)),
        Case("evaluation, a single example (m = 1)", (Z[:1], gamma, beta, _state([3.0, 3.0, 3.0, 3.0],
                                                                              [1.0, 2.0, 3.0, 4.0]), False)),
    ]


def _variants(Z, gamma, beta, state, training):
    """(out, running mean, running var, hint) of the typical wrong forward passes on this case."""
    eps, k = state.eps, state.momentum
    mu, var = Z.mean(axis=0), Z.var(axis=0)
    batch = (mu, var) if training else (state.mean, state.var)
    run = lambda mean, v: (k * state.mean + (1 - k) * mean, k * state.var + (1 - k) * v)
    rm, rv = run(mu, var) if training else (state.mean, state.var)
    shift = lambda stats: gamma * (Z - stats[0]) / np.sqrt(stats[1] + eps) + beta
    right = shift(batch)
    out = []
    if training:
        unbiased = Z.var(axis=0, ddof=1) if len(Z) > 1 else var
        out += [(shift((mu, unbiased)), *run(mu, unbiased),
                 "the variance divides by m (np.var's default), not m - 1: batch norm uses the biased batch variance"),
                (right, *run(mu, unbiased), "state.var must average the same (biased, divide by m) batch variance "
                                            "that you normalize with, not the unbiased one")]
        with np.errstate(divide="ignore", invalid="ignore"):
            out.append((gamma * (Z - mu) / np.sqrt(var) + beta, rm, rv,
                        "add eps inside the square root, (Z - mu) / sqrt(var + eps): a unit with (nearly) equal "
                        "values has variance 0 and you divide by it"))
            out.append((gamma * (Z - mu) / (np.sqrt(var) + eps) + beta, rm, rv,
                        "eps belongs inside the square root: sqrt(var + eps), not sqrt(var) + eps"))
        row_mu, row_var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
        out.append((gamma * (Z - row_mu) / np.sqrt(row_var + eps) + beta, rm, rv,
                    "normalize each column (unit) over the batch: the mean and variance are over axis=0, the "
                    "examples, not over the units of one example"))
        out.append((right, state.mean, state.var, "in training mode update the running averages in place: "
                                                  "state.mean = momentum * state.mean + (1 - momentum) * mu (and var)"))
        out.append((right, k * mu + (1 - k) * state.mean, k * var + (1 - k) * state.var,
                    "the momentum weighs the OLD average: running = momentum * running + (1 - momentum) * batch"))
        out.append((shift((state.mean, state.var)), rm, rv,
                    "in training mode normalize with the batch's own mean and variance; the running averages are "
                    "for evaluation"))
        out.append((right, *run(mu, np.sqrt(var)), "state.var averages variances; you averaged standard deviations"))
    else:
        out.append((shift((mu, var)), state.mean, state.var,
                    "in evaluation mode normalize with state.mean and state.var, not the batch's statistics "
                    "(a single example has variance 0)"))
        out.append((right, *run(mu, var), "evaluation mode must not change the running averages: update them "
                                          "only when training is True"))
    out.append(((Z - batch[0]) / np.sqrt(batch[1] + eps), rm, rv,
                "scale and shift the normalized values: out = gamma * Z_hat + beta"))
    out.append((beta * (Z - batch[0]) / np.sqrt(batch[1] + eps) + gamma, rm, rv,
                "gamma scales and beta shifts: out = gamma * Z_hat + beta (you swapped them)"))
    return out


def _diagnose_forward(args, got, got_state):
    for out, mean, var, hint in _variants(*args):
        with np.errstate(invalid="ignore"):
            same_out = isinstance(got, np.ndarray) and got.shape == out.shape and np.allclose(
                got, out, rtol=1e-6, atol=1e-8, equal_nan=True)
        if same_out and _close(got_state.mean, mean) and _close(got_state.var, var):
            return hint
    return None


def _state_problem(got, expected):
    for name in ("mean", "var"):
        g, e = getattr(got, name, None), getattr(expected, name)
        problem = compare(np.asarray(g, dtype=np.float64) if isinstance(g, np.ndarray) else g, e)
        if problem:
            return f"out is right, but state.{name} afterwards is wrong: {problem}"
    return None


def check_batchnorm_forward(student_fn):
    """Check fn(Z, gamma, beta, state, training) -> out = gamma * (Z - mu) / sqrt(var + eps) + beta, with
    (mu, var) the batch's (training, and state moved towards them) or state's (evaluation, state unchanged)."""
    name = "batchnorm_forward"
    for case in forward_cases():
        expected_state, student_state = copy.deepcopy(case.args[3]), copy.deepcopy(case.args[3])
        expected = batchnorm_forward(*copy.deepcopy(case.args[:3]), expected_state, case.args[4])[0]
        args = copy.deepcopy(case.args[:3])
        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                got = student_fn(*args, student_state, case.args[4])
        except NotImplementedError:
            return failure(name, case, "is not implemented yet",
                           "replace the `raise NotImplementedError(...)` line with your code, then run this check again")
        except Exception as error:
            return failure(name, case, f"raised {type(error).__name__}: {error}")
        if isinstance(got, tuple):
            return failure(name, case, f"returned {describe(got)} of {len(got)} items",
                           "return only out (the normalized, scaled and shifted array), not a cache")
        problem = compare(got, expected) or _state_problem(student_state, expected_state)
        if problem:
            return failure(name, case, problem, _diagnose_forward(case.args, got, student_state))
    return CheckResult(name, True, f"✓ {name}: all {len(forward_cases())} cases pass, running averages included")


# -- backward ----------------------------------------------------------------------------------


def backward_cases():
    """(dout, Z, gamma, eps): a rectangular batch, far-off means and spreads, two examples, a larger eps."""
    rng = np.random.default_rng(11)
    Z = rng.standard_normal((7, 3)) * [1.0, 4.0, 0.3] + [0.0, 10.0, -2.0]
    return [
        Case("7 examples of 3 units", (rng.standard_normal((7, 3)), Z, np.array([1.0, 0.5, 2.0]), 1e-5)),
        Case("5 examples of 4 units, gamma far from 1", (rng.standard_normal((5, 4)),
                                                         3 * rng.standard_normal((5, 4)) - 1,
                                                         np.array([3.0, -0.7, 1.2, 0.1]), 1e-5)),
        Case("a batch of two examples", (rng.standard_normal((2, 3)), Z[:2], np.array([1.0, 2.0, 0.5]), 1e-5)),
        Case("eps 0.1, comparable to the variance of unit 2", (rng.standard_normal((6, 2)),
                                                               rng.standard_normal((6, 2)) * [1.0, 0.2],
                                                               np.array([1.0, 1.0]), 0.1)),
    ]


def numerical_batchnorm_gradients(dout, Z, gamma, eps):
    """(dZ, dgamma, dbeta) of S = sum(dout * out) by centred differences, out the training-mode batch norm.
    dS/dout = dout, so these are the gradients the backward pass must return."""
    beta, Z, gamma = np.zeros(Z.shape[1]), Z.copy(), gamma.copy()

    def S():
        return float(np.sum(dout * batchnorm_forward(Z, gamma, beta, BatchNormState(Z.shape[1], eps=eps), True)[0]))

    return tuple(numerical_gradient(S, x) for x in (Z, gamma, beta))


def _backward_variants(dout, Z, gamma, eps):
    """(dZ, dgamma, dbeta, hint) of the typical wrong backward passes."""
    m = len(Z)
    mu, var = Z.mean(axis=0), Z.var(axis=0)
    inv_std = 1 / np.sqrt(var + eps)
    Z_hat = (Z - mu) * inv_std
    dZ_hat = dout * gamma
    dgamma, dbeta = (dout * Z_hat).sum(axis=0), dout.sum(axis=0)
    mean_term, var_term = dZ_hat.mean(axis=0), Z_hat * (dZ_hat * Z_hat).mean(axis=0)
    right = inv_std * (dZ_hat - mean_term - var_term)
    inv_std_unbiased = 1 / np.sqrt(Z.var(axis=0, ddof=1) + eps)
    Z_hat_unbiased = (Z - mu) * inv_std_unbiased
    return [
        (inv_std * (dZ_hat - var_term), dgamma, dbeta,
         "dZ misses the path through the mean: subtract the batch mean of dZ_hat, mean over axis 0 of dout * gamma"),
        (inv_std * (dZ_hat - mean_term), dgamma, dbeta,
         "dZ misses the path through the variance: subtract Z_hat times the batch mean of dZ_hat * Z_hat"),
        (dZ_hat * inv_std, dgamma, dbeta,
         "dZ = dout * gamma / sqrt(var + eps) treats the mean and variance as constants (that is evaluation "
         "mode); in training both depend on Z and add two terms"),
        (inv_std * (dout - dout.mean(axis=0) - Z_hat * (dout * Z_hat).mean(axis=0)), dgamma, dbeta,
         "dZ_hat = dout * gamma: the scale gamma multiplies the gradient on its way back"),
        (right, dbeta, dbeta, "dgamma = sum over the batch of dout * Z_hat (out = gamma * Z_hat + beta)"),
        (right, (dout * Z).sum(axis=0), dbeta, "dgamma multiplies dout by the NORMALIZED Z_hat, not by Z"),
        (right, dgamma, dout.mean(axis=0), "dbeta is the SUM of dout over the batch, not its mean"),
        (inv_std_unbiased * (dZ_hat - mean_term - Z_hat_unbiased * (dZ_hat * Z_hat_unbiased).sum(axis=0) / (m - 1)),
         (dout * Z_hat_unbiased).sum(axis=0), dbeta,
         "the forward pass divides the variance by m (biased), so the backward pass must too, not by m - 1"),
        (inv_std * inv_std * (dZ_hat - mean_term - var_term), dgamma, dbeta,
         "divide by sqrt(var + eps) once; you divided by var + eps"),
        (np.sqrt(var + eps) * (dZ_hat - mean_term - var_term), dgamma, dbeta,
         "the factor is 1 / sqrt(var + eps), the inverse standard deviation, not sqrt(var + eps)"),
    ]


def _diagnose_backward(args, got, expected):
    dout, Z, gamma, eps = args
    if isinstance(got, tuple) and len(got) == 3:
        if all(_close(g, e) for g, e in zip((got[0], got[2], got[1]), expected)):
            return "return (dZ, dgamma, dbeta) in that order"
        for dZ, dgamma, dbeta, hint in _backward_variants(dout, Z, gamma, eps):
            if hint and _close(got[0], dZ) and _close(got[1], dgamma) and _close(got[2], dbeta):
                return hint
        if any(isinstance(g, np.ndarray) and g.shape == (len(Z),) != (Z.shape[1],) for g in got[1:]):
            return "sum over the batch (axis=0): dgamma and dbeta have one entry per unit, shape (n,)"
        dZ = got[0]
        if (_close(got[1], expected[1]) and _close(got[2], expected[2]) and isinstance(dZ, np.ndarray)
                and dZ.shape == Z.shape and not np.allclose(dZ.sum(axis=0), 0, atol=1e-6)):
            return ("in training mode dZ sums to 0 over the batch in every column (shifting a whole column "
                    "leaves Z_hat unchanged); yours does not: are your batch means taken over axis=0?")
    return None


def check_batchnorm_backward(student_fn):
    """Check fn(dout, Z, gamma, eps) -> (dZ, dgamma, dbeta) of training-mode batch norm against numerical
    gradients of sum(dout * out)."""
    name = "batchnorm_backward"
    cases = backward_cases()
    for case in cases:
        expected = numerical_batchnorm_gradients(*copy.deepcopy(case.args))
        try:
            got = student_fn(*copy.deepcopy(case.args))
        except NotImplementedError:
            return failure(name, case, "is not implemented yet",
                           "replace the `raise NotImplementedError(...)` line with your code, then run this check again")
        except Exception as error:
            return failure(name, case, f"raised {type(error).__name__}: {error}")
        if isinstance(got, tuple):
            got = tuple(np.asarray(g) if np.isscalar(g) else g for g in got)
        problem = compare(got, expected, rtol=1e-5, atol=1e-7)
        if problem:
            return failure(name, case, problem + " (expected: numerical gradients by centred differences)",
                           _diagnose_backward(case.args, got, expected))
    return CheckResult(name, True, f"✓ {name}: all {len(cases)} cases agree with numerical gradients")
