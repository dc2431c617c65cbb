"""Chapter 10 exercises: batch normalization, forward (running averages included) and backward.

    check_batchnorm_forward(fn)    fn(Z, gamma, beta, state, training) -> out (m, n); in training mode it also
                                   moves state.mean and state.var towards the batch's mean and variance
    check_batchnorm_backward(fn)   fn(dout, Z, gamma, eps) -> (dZ, dgamma, dbeta) of training mode

Z, dout, out and dZ have shape (m, n); gamma, beta, dgamma, dbeta, state.mean and state.var shape (n,). The
forward checker compares out with nnlib's batchnorm_forward and then the running averages the student's
function left in `state` (changed in place or replaced by new arrays: both are fine). The backward checker
compares with gradients of S = sum(dout * out) computed numerically by centred differences, so any correct
formula passes: the closed form, a Jacobian, the computational graph written out again. When a result is wrong,
the diagnosis recomputes it the way each typical mistake does and names the one that matches.
Both answers already exist: nnlib.layers has batchnorm_forward and batchnorm_backward, and section 3 of the
chapter defines graph_backward with the backward exercise's signature. So each checker first runs the student's
function under a profile hook (harness.library_calls) and fails it if it calls one of them (or the checker's own
references, or nnlib's numerical gradients), however it was imported or wrapped.
Hints in steps: hint("batchnorm_forward", 1), hint("batchnorm_backward", 1).
"""
import copy

import numpy as np

from ..gradcheck import numerical_gradient
from ..layers import BatchNormState, batchnorm_backward, batchnorm_forward
from .harness import (Case, attempt, calls_the_answer, changed_inputs, compare, describe, failure, mutation_report,
                      not_implemented, passed, raised, register_hints)

register_hints("batchnorm_forward", [
    "every unit (column of Z) is normalized over the examples of the batch: subtract a mean, divide by a "
    "standard deviation, then gamma scales and beta shifts the result. Where the mean and variance come from "
    "depends on `training`.",
    "in training, take the mean and the biased variance (divided by m) of every column, over the examples, and "
    "move state.mean and state.var towards them, keeping a share state.momentum of the old averages; in "
    "evaluation, normalize with state.mean and state.var and leave them alone. Add state.eps to the variance "
    "before the square root, and return only the output array.",
    "if training: mu, var = Z.mean(axis=0), Z.var(axis=0); state.mean[...] = state.momentum * state.mean + "
    "(1 - state.momentum) * mu; state.var[...] = state.momentum * state.var + (1 - state.momentum) * var; "
    "else: mu, var = state.mean, state.var; return gamma * (Z - mu) / np.sqrt(var + state.eps) + beta",
])
register_hints("batchnorm_backward", [
    "start with the easy two: out = gamma * Z_hat + beta, so dbeta and dgamma are sums over the batch. Then "
    "dZ: in training the mean and the variance are computed from Z, so each Z_ij reaches the output directly, "
    "through its column's mean and through its column's variance; all three paths add up.",
    "recompute Z_hat and 1 / sqrt(var + eps) from Z (biased variance, over the examples). With dZ_hat = dout * "
    "gamma, section 3's closed form is: dZ_hat, minus its column mean, minus Z_hat times the column mean of "
    "dZ_hat * Z_hat, all multiplied by 1 / sqrt(var + eps). dgamma sums dout * Z_hat and dbeta sums dout over "
    "the batch.",
    "inv_std = 1 / np.sqrt(Z.var(axis=0) + eps); Z_hat = (Z - Z.mean(axis=0)) * inv_std; dZ_hat = dout * gamma; "
    "dZ = inv_std * (dZ_hat - dZ_hat.mean(axis=0) - Z_hat * (dZ_hat * Z_hat).mean(axis=0)); "
    "return dZ, (dout * Z_hat).sum(axis=0), dout.sum(axis=0)",
])


def _close(a, b):
    """True when a is an array of b's shape with b's values (nan and inf compared as values)."""
    if not isinstance(a, np.ndarray) or a.shape != np.shape(b) or not np.issubdtype(a.dtype, np.number):
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.allclose(a, b, rtol=1e-6, atol=1e-8, equal_nan=True))


def _state(mean, var, momentum=0.9, eps=1e-5):
    state = BatchNormState(len(mean), momentum=momentum, eps=eps)
    state.mean[...], state.var[...] = mean, var
    return state


# -- forward -----------------------------------------------------------------------------------


def _forward_cases():
    """(Z, gamma, beta, state, training): rectangular batches in both modes, a constant unit, a batch of two,
    a unit with a variance near eps, momentum other than 0.9 and running averages away from (0, 1)."""
    rng = np.random.default_rng(10)
    Z = 3 + 2 * rng.standard_normal((6, 4)) * [1, 3, 0.5, 2]
    gamma, beta = np.array([1.0, 2.0, 0.5, 1.5]), np.array([0.0, -1.0, 0.3, 2.0])
    fresh = lambda n, **settings: _state(np.zeros(n), np.ones(n), **settings)
    small = np.array([[1.0, 5.0, 2.0], [1.0, 1.0, 2.002], [1.0, 3.0, 2.001]])  # constant, ordinary, tiny spread
    away = ([2.0, 3.0, -1.0, 0.5], [4.0, 9.0, 0.25, 1.0])
    return [
        Case("training, 6 examples of 4 units, fresh running averages (mean 0, var 1)",
             (Z, gamma, beta, fresh(4), True)),
        Case("training, running averages (2, 3, -1, 0.5) and (4, 9, 0.25, 1), momentum 0.8",
             (Z, gamma, beta, _state(*away, momentum=0.8), True)),
        Case("evaluation: 3 examples normalized with the running averages (2, 3, -1, 0.5) and (4, 9, 0.25, 1)",
             (Z[:3], gamma, beta, _state(*away), False)),
        Case("training, a unit whose 3 values are all equal and one whose variance is below eps (1e-5)",
             (small, np.ones(3), np.zeros(3), fresh(3), True)),
        Case("training, a batch of two examples, eps 1e-3", (Z[:2, :2], gamma[:2], beta[:2], fresh(2, eps=1e-3),
                                                               True)),
        Case("evaluation, a single example (m = 1)",
             (Z[:1], gamma, beta, _state([3.0, 3.0, 3.0, 3.0], [1.0, 2.0, 3.0, 4.0]), False)),
        Case("evaluation with eps 0.5, as large as some running variances (use state.eps)",
             (Z[:3], gamma, beta, _state([2.0, 3.0, -1.0, 0.5], [0.5, 9.0, 0.25, 1.0], eps=0.5), False)),
    ]


def _forward(Z, gamma, beta, state, training, *, ddof=0, running_ddof=None, eps="inside", axis=0,
             running_in_training=False, batch_in_evaluation=False, update_in_training=True,
             update_in_evaluation=False, momentum_swapped=False, running_std=False, affine="gamma * Z_hat + beta"):
    """(out, running mean, running var after the call) of the correct forward pass when called with the
    defaults; each keyword reproduces one typical mistake. state itself is left unchanged."""
    mu, var = Z.mean(axis=axis, keepdims=axis == 1), Z.var(axis=axis, ddof=ddof, keepdims=axis == 1)
    from_batch = not running_in_training if training else batch_in_evaluation
    mean, variance = (mu, var) if from_batch else (state.mean, state.var)
    with np.errstate(all="ignore"):  # the mistakes may divide by a zero variance
        std = {"inside": np.sqrt(variance + state.eps), "none": np.sqrt(variance),
               "outside": np.sqrt(variance) + state.eps}[eps]
        Z_hat = (Z - mean) / std
        out = {"gamma * Z_hat + beta": gamma * Z_hat + beta, "Z_hat": Z_hat,
               "beta * Z_hat + gamma": beta * Z_hat + gamma}[affine]
    running_mean, running_var = state.mean.copy(), state.var.copy()
    if (update_in_training if training else update_in_evaluation):
        k = 1 - state.momentum if momentum_swapped else state.momentum
        batch_var = Z.var(axis=0, ddof=ddof if running_ddof is None else running_ddof)
        running_mean = k * state.mean + (1 - k) * Z.mean(axis=0)
        running_var = k * state.var + (1 - k) * (np.sqrt(batch_var) if running_std else batch_var)
    return out, running_mean, running_var


def reference_batchnorm_forward(Z, gamma, beta, state, training):
    """out of batch normalization (nnlib.layers.batchnorm_forward); in training it moves state's averages."""
    return batchnorm_forward(Z, gamma, beta, state, training)[0]


# (keyword arguments of _forward that reproduce the mistake, the hint naming it), most telling first
FORWARD_MISTAKES = [
    (dict(ddof=1), "the variance divides by m (np.var's default), not m - 1: batch norm normalizes with the "
                   "biased batch variance"),
    (dict(running_ddof=1), "state.var must average the same (biased, divided by m) batch variance that you "
                           "normalize with, not the unbiased one"),
    (dict(eps="none"), "add eps inside the square root, (Z - mu) / sqrt(var + eps): a unit whose values are "
                       "(nearly) equal has a variance of (nearly) 0, and you divide by it"),
    (dict(eps="outside"), "eps belongs inside the square root: sqrt(var + eps), not sqrt(var) + eps"),
    (dict(axis=1), "normalize each column (unit) over the batch: the mean and variance are over axis=0, the "
                   "examples, not over the units of one example"),
    (dict(update_in_training=False), "in training mode update the running averages: state.mean = momentum * "
                                     "state.mean + (1 - momentum) * mu (and state.var likewise)"),
    (dict(momentum_swapped=True), "the momentum weighs the OLD average: running = momentum * running + "
                                  "(1 - momentum) * batch statistic"),
    (dict(running_in_training=True), "in training mode normalize with the batch's own mean and variance; the "
                                     "running averages are for evaluation"),
    (dict(running_std=True), "state.var averages variances; you averaged standard deviations"),
    (dict(batch_in_evaluation=True), "in evaluation mode normalize with state.mean and state.var, not the "
                                     "batch's statistics (a single example has variance 0)"),
    (dict(update_in_evaluation=True), "evaluation mode must not change the running averages: update them only "
                                      "when training is True"),
    (dict(affine="Z_hat"), "scale and shift the normalized values: out = gamma * Z_hat + beta"),
    (dict(affine="beta * Z_hat + gamma"), "gamma scales and beta shifts: out = gamma * Z_hat + beta (you "
                                          "swapped them)"),
]


def diagnose_batchnorm_forward(args, got, got_state, error=None):
    """Name the likely mistake in a batchnorm_forward result (or its exception), or None.
    args are unchanged copies of the case; got_state is the state the student's function left behind."""
    Z, _, _, state, training = args
    if error is not None:
        if isinstance(error, FloatingPointError) and (Z.var(axis=0) < state.eps).any():
            return FORWARD_MISTAKES[2][1]
        if isinstance(error, AttributeError) and "BatchNormState" in str(error):
            return ("state is a BatchNormState: its running averages are state.mean and state.var (arrays of "
                    "shape (n,)), its settings state.momentum and state.eps (numbers)")
        if isinstance(error, ValueError) and "broadcast" in str(error):
            return ("the mean and the variance have one entry per unit, shape (n,): take them over the examples, "
                    "axis=0, so that they broadcast against Z of shape (m, n)")
        return None
    if got is None:
        return ("your function returned None: finish it with a `return` line that hands back out "
                "(updating state is not enough)")
    for mistake, hint in FORWARD_MISTAKES:
        out, mean, var = _forward(*args, **mistake)
        if _close(got, out) and _close(getattr(got_state, "mean", None), mean) \
                and _close(getattr(got_state, "var", None), var):
            return hint
    return None


def _state_problem(got, expected):
    """How the running averages the student left in state differ from nnlib's, or None."""
    for name in ("mean", "var"):
        value = getattr(got, name, None)
        problem = compare(value, getattr(expected, name))
        if problem:
            return f"out is right, but state.{name} afterwards is wrong: {problem}"
    return None


# The forward passes that already exist, which a student's function must not call (watched by code object:
# every import, alias and wrapper counts), and what to do instead.
FORWARD_ANSWERS = {
    batchnorm_forward: "nnlib.layers.batchnorm_forward, nnlib's own version",
    reference_batchnorm_forward: "nnlib.exercises.ch10.reference_batchnorm_forward, the checker's reference",
    _forward: "nnlib.exercises.ch10._forward, the checker's reference",
}
FORWARD_ADVICE = ("write the forward pass yourself, in NumPy: the checker compares with nnlib's batchnorm_forward, "
                  "so calling it (directly, through a Network or in a wrapper) proves nothing")


def check_batchnorm_forward(student_fn):
    """Check fn(Z, gamma, beta, state, training) -> out = gamma * (Z - mu) / sqrt(var + eps) + beta on 6 cases,
    with (mu, var) the batch's (training: state's averages move towards them) or state's (evaluation: state
    unchanged); out and the running averages left in state are both compared with nnlib's. A function that
    calls nnlib's batchnorm_forward fails."""
    name, cases = "batchnorm_forward", _forward_cases()
    refused = calls_the_answer(name, student_fn, cases, FORWARD_ANSWERS, FORWARD_ADVICE)
    if refused is not None:
        return refused
    for case in cases:
        expected_state = copy.deepcopy(case.args[3])
        expected = reference_batchnorm_forward(*copy.deepcopy(case.args[:3]), expected_state, case.args[4])
        args, pristine = copy.deepcopy(case.args), copy.deepcopy(case.args)
        outcome = attempt(student_fn, args)
        if isinstance(outcome.error, NotImplementedError):
            return not_implemented(name, case)
        if outcome.error is not None:
            return failure(name, case, raised(outcome),
                           diagnose_batchnorm_forward(pristine, None, args[3], outcome.error))
        changed = changed_inputs(pristine[:3], args[:3], ["Z", "gamma", "beta"])
        if changed:
            problem, advice = mutation_report(changed)
            return failure(name, case, problem, advice)
        got = outcome.value
        if isinstance(got, (tuple, list)):
            return failure(name, case, f"expected the array out of shape {case.args[0].shape}, got {describe(got)}",
                           "return only out (the normalized, scaled and shifted array), not a cache or the "
                           "statistics: the running averages stay in state")
        problem = compare(got, expected) or _state_problem(args[3], expected_state)
        if problem:
            return failure(name, case, problem, diagnose_batchnorm_forward(pristine, got, args[3]))
    return passed(name, len(cases), ", running averages included")


# -- backward ----------------------------------------------------------------------------------


def _backward_cases():
    """(dout, Z, gamma, eps): rectangular batches, far-off means and spreads, two examples, a larger eps."""
    rng = np.random.default_rng(11)
    Z = rng.standard_normal((7, 3)) * [1.0, 4.0, 0.3] + [0.0, 10.0, -2.0]
    return [
        Case("7 examples of 3 units with means 0, 10 and -2", (rng.standard_normal((7, 3)), Z,
                                                              np.array([1.0, 0.5, 2.0]), 1e-5)),
        Case("5 examples of 4 units, gamma far from 1 (one negative)",
             (rng.standard_normal((5, 4)), 3 * rng.standard_normal((5, 4)) - 1, np.array([3.0, -0.7, 1.2, 0.1]),
              1e-5)),
        Case("a batch of two examples", (rng.standard_normal((2, 3)), Z[:2], np.array([1.0, 2.0, 0.5]), 1e-5)),
        Case("eps 0.1, comparable to the variance of unit 2",
             (rng.standard_normal((6, 2)), rng.standard_normal((6, 2)) * [1.0, 0.2], np.array([1.0, 1.0]), 0.1)),
    ]


def numerical_batchnorm_gradients(dout, Z, gamma, eps):
    """(dZ, dgamma, dbeta) of S = sum(dout * out) by centred differences, out the training-mode batch norm.
    dS/dout = dout, so these are the gradients the backward pass must return."""
    beta, Z, gamma = np.zeros(Z.shape[1]), Z.copy(), gamma.copy()

    def S():
        return float(np.sum(dout * batchnorm_forward(Z, gamma, beta, BatchNormState(Z.shape[1], eps=eps), True)[0]))

    return tuple(numerical_gradient(S, x) for x in (Z, gamma, beta))


def _backward(dout, Z, gamma, eps, *, mean_path=True, variance_path=True, times_gamma=True, dgamma="Z_hat",
              dbeta="sum", ddof=0, power=1):
    """(dZ, dgamma, dbeta) of the closed form when called with the defaults; each keyword reproduces one
    typical mistake."""
    m = len(Z)
    var = Z.var(axis=0, ddof=ddof)
    inv_std = (var + eps) ** (-0.5 * power)
    Z_hat = (Z - Z.mean(axis=0)) / np.sqrt(var + eps)
    dZ_hat = dout * gamma if times_gamma else dout
    dZ = dZ_hat.copy()
    if mean_path:
        dZ = dZ - dZ_hat.mean(axis=0)
    if variance_path:
        dZ = dZ - Z_hat * (dZ_hat * Z_hat).sum(axis=0) / (m - ddof)
    dgamma = {"Z_hat": (dout * Z_hat).sum(axis=0), "dbeta": dout.sum(axis=0), "Z": (dout * Z).sum(axis=0)}[dgamma]
    dbeta = {"sum": dout.sum(axis=0), "mean": dout.mean(axis=0)}[dbeta]
    return inv_std * dZ, dgamma, dbeta


BACKWARD_MISTAKES = [
    (dict(mean_path=False, variance_path=False),
     "dZ = dout * gamma / sqrt(var + eps) treats the mean and the variance as constants (that is evaluation "
     "mode); in training both depend on Z and add two terms"),
    (dict(mean_path=False), "dZ misses the path through the mean: subtract the column mean (over the batch) of "
                            "dZ_hat = dout * gamma"),
    (dict(variance_path=False), "dZ misses the path through the variance: subtract Z_hat times the column mean "
                                "of dZ_hat * Z_hat"),
    (dict(times_gamma=False), "dZ_hat = dout * gamma: the scale gamma multiplies the gradient on its way back"),
    (dict(dgamma="dbeta"), "dgamma = sum over the batch of dout * Z_hat (out = gamma * Z_hat + beta)"),
    (dict(dgamma="Z"), "dgamma multiplies dout by the NORMALIZED Z_hat, not by Z"),
    (dict(dbeta="mean"), "dbeta is the SUM of dout over the batch, not its mean"),
    (dict(ddof=1), "the forward pass divides the variance by m (biased), so the backward pass must too, "
                   "not by m - 1"),
    (dict(power=2), "divide by sqrt(var + eps) once; you divided by var + eps"),
    (dict(power=-1), "the factor is 1 / sqrt(var + eps), the inverse standard deviation, not sqrt(var + eps)"),
]


def diagnose_batchnorm_backward(args, got, expected, error=None):
    """Name the likely mistake in a batchnorm_backward result (or its exception), or None."""
    dout, Z, gamma, eps = args
    if error is not None:
        if isinstance(error, ValueError) and "broadcast" in str(error):
            return ("the column statistics have shape (n,): take every mean and sum over the examples, axis=0, "
                    "so that they broadcast against (m, n)")
        return None
    if got is None:
        return ("your function returned None: finish it with a `return` line, `return dZ, dgamma, dbeta`")
    if isinstance(got, list):
        return "return a tuple, e.g. `return dZ, dgamma, dbeta`, not a list"
    if not isinstance(got, tuple) or len(got) != 3:
        return "return the three gradients as one tuple, in the order (dZ, dgamma, dbeta)"
    if all(_close(g, e) for g, e in zip((got[0], got[2], got[1]), expected)):
        return "return (dZ, dgamma, dbeta) in that order"
    for mistake, hint in BACKWARD_MISTAKES:
        if all(_close(g, e) for g, e in zip(got, _backward(*args, **mistake))):
            return hint
    if any(isinstance(g, np.ndarray) and g.shape == (len(Z),) != (Z.shape[1],) for g in got[1:]):
        return "sum over the batch (axis=0): dgamma and dbeta have one entry per unit, shape (n,)"
    dZ = got[0]
    if (_close(got[1], expected[1]) and _close(got[2], expected[2]) and isinstance(dZ, np.ndarray)
            and dZ.shape == Z.shape and not np.allclose(dZ.sum(axis=0), 0, atol=1e-6)):
        return ("in training mode every column of dZ sums to 0 over the batch (sum the closed form over the "
                "examples); yours does not: are your batch means taken over axis=0?")
    return None


# The backward passes that already exist: nnlib's, the checker's, numerical gradients (watched by code object),
# and the chapter's own graph_backward of section 3, which has the exercise's signature (watched by name).
BACKWARD_ANSWERS = {
    batchnorm_backward: "nnlib.layers.batchnorm_backward, nnlib's own version",
    numerical_gradient: "nnlib.gradcheck.numerical_gradient, the numerical gradients the checker compares with",
    numerical_batchnorm_gradients: "nnlib.exercises.ch10.numerical_batchnorm_gradients, the checker's reference",
    _backward: "nnlib.exercises.ch10._backward, the checker's reference",
    batchnorm_forward: "nnlib.layers.batchnorm_forward, which only a numerical gradient needs here (the closed "
                       "form computes mean and variance itself)",
}
CHAPTER_BACKWARD = {"graph_backward": "graph_backward, the chapter's node-by-node version from section 3"}
BACKWARD_ADVICE = ("the exercise is to write the closed form yourself, in a few lines of NumPy; graph_backward and "
                   "nnlib's batchnorm_backward already compute these gradients, so calling them proves nothing")


def check_batchnorm_backward(student_fn):
    """Check fn(dout, Z, gamma, eps) -> (dZ, dgamma, dbeta) of training-mode batch norm on 4 cases, against
    numerical gradients of S = sum(dout * out) (centred differences). A function that calls nnlib's
    batchnorm_backward, numerical gradients or the chapter's graph_backward fails."""
    name, cases = "batchnorm_backward", _backward_cases()
    refused = calls_the_answer(name, student_fn, cases, BACKWARD_ANSWERS, BACKWARD_ADVICE, CHAPTER_BACKWARD)
    if refused is not None:
        return refused
    for case in cases:
        expected = numerical_batchnorm_gradients(*copy.deepcopy(case.args))
        args, pristine = copy.deepcopy(case.args), copy.deepcopy(case.args)
        outcome = attempt(student_fn, args)
        if isinstance(outcome.error, NotImplementedError):
            return not_implemented(name, case)
        if outcome.error is not None:
            return failure(name, case, raised(outcome), diagnose_batchnorm_backward(pristine, None, expected,
                                                                                    outcome.error))
        changed = changed_inputs(pristine, args, ["dout", "Z", "gamma"])
        if changed:
            problem, advice = mutation_report(changed)
            return failure(name, case, problem, "the backward pass only computes gradients; " + advice)
        got = outcome.value
        if isinstance(got, tuple):  # a sum over a single unit may come back as a NumPy scalar
            got = tuple(np.asarray(g) if np.isscalar(g) else g for g in got)
        problem = compare(got, expected, rtol=1e-5, atol=1e-7)
        if problem:
            return failure(name, case, problem + "\n  (expected: numerical gradients by centred differences)",
                           diagnose_batchnorm_backward(pristine, got, expected))
    return passed(name, len(cases), ", agreeing with numerical gradients")
