"""Chapter 07 exercises: one step of Adam, and one step of momentum, as pure functions.

    check_adam_step(adam_step)            adam_step(param, grad, s, r, t, lr, beta1, beta2, eps) -> (param, s, r)
    check_momentum_step(momentum_step)    momentum_step(param, grad, velocity, lr, beta) -> (param, velocity)

Both return new arrays and leave their inputs unchanged (the checker notices an input changed in place).
All arrays share one shape (any shape); the checkers try several, with hand-checkable and edge cases and an
integer parameter array. When a result is wrong, the diagnosis recomputes the step the way the typical
mistakes do and names the mistake whose result matches. A function that calls nnlib.Adam or nnlib.Momentum (or a
class built on them, like the chapter's FusedAdam) is refused: the exercise is to write the step. Hints: hint("adam_step", 1), hint("momentum_step", 1).
"""
import numpy as np

from ..optimizers import Adam, Momentum
from .harness import Case, check_function, register_hints, watched_functions

register_hints("adam_step", [
    "Adam keeps two running averages, of the gradients and of their squares; both start at 0, so early on "
    "they are too small and need a correction that depends on the step number t.",
    "update s with beta1 and the gradient, r with beta2 and the squared gradient; divide each by one minus "
    "its beta to the power t; step the parameter by lr times corrected s over (the square root of "
    "corrected r, plus eps). Return the raw s and r, not the corrected ones.",
    "s = beta1 * s + (1 - beta1) * grad; r = beta2 * r + (1 - beta2) * grad ** 2; s_hat = s / (1 - beta1 ** t); "
    "r_hat = r / (1 - beta2 ** t); return param - lr * s_hat / (np.sqrt(r_hat) + eps), s, r",
])
register_hints("momentum_step", [
    "the velocity remembers a fraction beta of its old value and adds this step's push downhill; the "
    "parameter then moves by the new velocity.",
    "in nnlib's convention the push is -lr * grad, added to beta times the old velocity; update the "
    "velocity first, then add it to the parameter.",
    "velocity = beta * velocity - lr * grad; return param + velocity, velocity",
])

ADAM_DEFAULTS = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)


# -- Adam ------------------------------------------------------------------------------------


def _adam(param, grad, s, r, t, lr, beta1, beta2, eps, *, correct=True, t_offset=0, eps_inside=False,
          square=True, swap=False, return_hat=False):
    """The correct Adam step when called with the defaults; each keyword reproduces one typical mistake."""
    if swap:
        beta1, beta2 = beta2, beta1
    with np.errstate(all="ignore"):  # the mistakes may divide by zero or take sqrt of negatives
        s = beta1 * s + (1 - beta1) * grad
        r = beta2 * r + (1 - beta2) * (grad * grad if square else grad)
        exponent = t + t_offset
        s_hat = s / (1 - beta1 ** exponent) if correct else s
        r_hat = r / (1 - beta2 ** exponent) if correct else r
        denominator = np.sqrt(r_hat + eps) if eps_inside else np.sqrt(r_hat) + eps
        param = param - lr * s_hat / denominator
    if return_hat:
        return param, s_hat, r_hat
    return param, s, r


def reference_adam_step(param, grad, s, r, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step (Kingma & Ba 2015, Algorithm 1); returns new arrays (param, s, r)."""
    return _adam(param, grad, s, r, t, lr, beta1, beta2, eps)


# (keyword arguments of _adam that reproduce the mistake, the hint naming it), most telling first
ADAM_MISTAKES = [
    (dict(t_offset=-1), "t counts steps from 1: at the first step the corrections are 1 - beta1**1 and "
                        "1 - beta2**1. With beta**(t - 1) you divide by 1 - beta**0 = 0 at t = 1."),
    (dict(correct=False), "this is Adam without bias correction: divide s by (1 - beta1**t) and r by "
                          "(1 - beta2**t) before the update (s and r start at 0, so early on they are too small)."),
    (dict(t_offset=1), "the bias correction uses beta**(t + 1); t is already the step number (1 at the first "
                       "step), so use 1 - beta1**t and 1 - beta2**t."),
    (dict(eps_inside=True), "eps belongs outside the square root: sqrt(r_hat) + eps, not sqrt(r_hat + eps). "
                            "The difference shows when gradients are small."),
    (dict(square=False), "r averages the SQUARED gradient: r = beta2 r + (1 - beta2) g**2 (you used g)."),
    (dict(swap=True), "beta1 and beta2 are swapped: beta1 (0.9) averages g into s, beta2 (0.999) averages "
                      "g**2 into r."),
    (dict(return_hat=True), "return the raw moments s and r, not the bias-corrected s_hat and r_hat: the "
                            "correction is recomputed from s and r at every step."),
]


def _matches(got, expected):
    """True when got is the same 3-tuple of arrays as expected (nan and inf compared as values)."""
    if not isinstance(got, (tuple, list)) or len(got) != len(expected):
        return False
    try:
        return all(np.shape(g) == np.shape(e) and np.allclose(g, e, rtol=1e-6, atol=1e-10, equal_nan=True)
                   for g, e in zip(got, expected))
    except (TypeError, ValueError):
        return False


ADAM_FORMULA_MISTAKES = [
    (lambda p, g, s, r, t, lr, b1, b2, eps: _adam_with(p, g, s, r, t, lr, b1, b2, eps, r_beta_for_hat=b1),
     "r_hat is corrected with beta1: each moment uses its own decay rate, r_hat = r / (1 - beta2**t)"),
    (lambda p, g, s, r, t, lr, b1, b2, eps: _adam_with(p, g, s, r, t, lr, b1, b2, eps, eps_on_param=True),
     "eps ended up added to the parameter: the denominator is (np.sqrt(r_hat) + eps), in parentheses"),
    (lambda p, g, s, r, t, lr, b1, b2, eps: _adam_with(p, g, s, r, t, lr, b1, b2, eps, sign=1.0),
     "the step went uphill: subtract it, param - lr * s_hat / (sqrt(r_hat) + eps)"),
]


def _adam_with(param, grad, s, r, t, lr, beta1, beta2, eps, r_beta_for_hat=None, eps_on_param=False, sign=-1.0):
    with np.errstate(all="ignore"):
        s = beta1 * s + (1 - beta1) * grad
        r = beta2 * r + (1 - beta2) * grad * grad
        s_hat = s / (1 - beta1 ** t)
        r_hat = r / (1 - (r_beta_for_hat or beta2) ** t)
        if eps_on_param:
            param = param + sign * lr * s_hat / np.sqrt(r_hat) + eps
        else:
            param = param + sign * lr * s_hat / (np.sqrt(r_hat) + eps)
    return param, s, r


def diagnose_adam_step(args, got, expected, error=None):
    """Name the likely mistake in an adam_step result (or its exception), or None."""
    if error is not None:
        if isinstance(error, FloatingPointError) and "divide" in str(error):
            return ("a division by zero: at t = 1 the corrections are 1 - beta1**1 and 1 - beta2**1; "
                    "with beta**(t - 1) they are 1 - beta**0 = 0")
        if isinstance(error, FloatingPointError) and "sqrt" in str(error):
            return ("the square root of a negative number: r averages the SQUARED gradient, "
                    "r = beta2 r + (1 - beta2) g**2, so it can never be negative")
        if "cast" in str(error):
            return ("an in-place update (param -= ...) cannot store fractions in an integer array, and it changes "
                    "the caller's array anyway: compute a new one, param = param - lr * ...")
        return None
    if got is None:
        return None
    if isinstance(got, list):
        return "return a tuple, e.g. `return param, s, r`, not a list"
    for mistake, hint in ADAM_MISTAKES:
        if _matches(got, _adam(*args, **mistake)):
            return hint
    for mistake, hint in ADAM_FORMULA_MISTAKES:
        if _matches(got, mistake(*args)):
            return hint
    if isinstance(got, tuple) and len(got) == 3 and _matches((expected[0], got[1], got[2]), expected):
        return "s and r are right but the parameter is not: param - lr * s_hat / (sqrt(r_hat) + eps)"
    if isinstance(got, tuple) and len(got) == 3 and _matches((got[2], got[1], got[0]), expected):
        return "return the three arrays in the order (param, s, r)"
    return None


def _adam_cases():
    rng = np.random.default_rng(7)
    # s and r are always separate arrays: a student updating them in place must not see them aliased
    return [
        Case("the worked example: step t=1 from s = r = 0, lr = 0.1",
             (np.array([1.0, -2.0]), np.array([0.5, -4.0]), np.zeros(2), np.zeros(2), 1, 0.1, 0.9, 0.999, 1e-8)),
        Case("step t=3 of a 2x3 weight matrix with non-zero s and r",
             (rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.normal(0, 0.1, (2, 3)),
              rng.uniform(0.01, 0.1, (2, 3)), 3, 1e-3, 0.9, 0.999, 1e-8)),
        Case("a single-element parameter at step t=2",
             (np.array([0.3]), np.array([-0.2]), np.array([-0.05]), np.array([0.004]), 2, 0.01, 0.9, 0.999, 1e-8)),
        Case("tiny gradients (1e-4), where eps matters",
             (np.ones(4), np.full(4, 1e-4) * np.array([1, -1, 2, -3]), np.zeros(4), np.zeros(4), 1,
              1e-3, 0.9, 0.999, 1e-8)),
        Case("huge gradients (1e6) of a bias vector of shape (5,)",
             (np.zeros(5), 1e6 * rng.normal(size=5), np.zeros(5), np.zeros(5), 1, 1e-3, 0.9, 0.999, 1e-8)),
        Case("a zero gradient at step t=10: the momentum alone moves the parameter",
             (np.array([[1.0, 2.0]]), np.zeros((1, 2)), np.array([[0.1, -0.2]]), np.array([[0.02, 0.01]]), 10,
              1e-3, 0.9, 0.999, 1e-8)),
        Case("step t=1000, where 1 - beta2**t is still far from 1",
             (rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), rng.normal(0, 0.1, (3, 2)),
              rng.uniform(0.01, 0.1, (3, 2)), 1000, 1e-3, 0.9, 0.999, 1e-8)),
        Case("an integer parameter array param = [1, 2, 3] (dtype int64), step t=1",
             (np.array([1, 2, 3]), np.array([0.5, -0.25, 1.0]), np.zeros(3), np.zeros(3), 1, 0.1, 0.9, 0.999, 1e-8)),
        Case("other hyperparameters: beta1=0.5, beta2=0.75, eps=1e-3, step t=4",
             (rng.normal(size=3), rng.normal(0, 0.01, 3), rng.normal(0, 0.01, 3), rng.uniform(0, 1e-4, 3), 4,
              0.05, 0.5, 0.75, 1e-3)),
    ]


def check_adam_step(adam_step):
    """Check adam_step(param, grad, s, r, t, lr, beta1, beta2, eps) -> (param, s, r) on 9 cases.

    The hyperparameters are always passed positionally, so your defaults (if any) do not matter."""
    return check_function("adam_step", adam_step, _adam_cases(), reference_adam_step, diagnose_adam_step,
                          arg_names=["param", "grad", "s", "r"], forbidden=watched_functions(Adam),
                          forbidden_advice="write the step yourself from the formula of section 4, with NumPy on the "
                                           "arrays you are given: nnlib.Adam (or a class built on it) is the finished "
                                           "version, so wrapping it proves nothing")


# -- Momentum --------------------------------------------------------------------------------


def reference_momentum_step(param, grad, velocity, lr=0.1, beta=0.9):
    """One step of SGD with momentum (nnlib.Momentum): returns new arrays (param, velocity)."""
    velocity = beta * velocity - lr * grad
    return param + velocity, velocity


MOMENTUM_MISTAKES = [
    (lambda p, g, vel, lr, beta: (p - (beta * vel + lr * g), beta * vel + lr * g),
     "your velocity has the opposite sign: in nnlib's convention velocity = beta * velocity - lr * grad "
     "and then param = param + velocity"),
    (lambda p, g, vel, lr, beta: (p - lr * g, -lr * g),
     "the old velocity is forgotten: velocity = beta * velocity - lr * grad keeps a fraction beta of it"),
    (lambda p, g, vel, lr, beta: (p + beta * vel - (1 - beta) * lr * g, beta * vel - (1 - beta) * lr * g),
     "this mixes in the averaging form (1 - beta) * grad; here the step is velocity = beta * velocity - lr * grad"),
    (lambda p, g, vel, lr, beta: (p + vel, beta * vel - lr * g),
     "the parameter moved by the OLD velocity: update the velocity first, then param = param + velocity"),
    (lambda p, g, vel, lr, beta: (p - lr * g, beta * vel - lr * g),
     "the velocity is right but the parameter took a plain SGD step: add the new velocity, param + velocity"),
    (lambda p, g, vel, lr, beta: (p + beta * (vel - lr * g), beta * (vel - lr * g)),
     "beta multiplies only the old velocity: velocity = beta * velocity - lr * grad, not beta * (velocity - lr * grad)"),
    (lambda p, g, vel, lr, beta: (p - (beta * vel - lr * g), beta * vel - lr * g),
     "the velocity is right, but in nnlib's convention it is ADDED to the parameter: param + velocity"),
    (lambda p, g, vel, lr, beta: (p + beta * vel + lr * g, beta * vel + lr * g),
     "the gradient pushes downhill: velocity = beta * velocity - lr * grad (minus, not plus)"),
]


def diagnose_momentum_step(args, got, expected, error=None):
    """Name the likely mistake in a momentum_step result (or its exception), or None."""
    if error is not None:
        if "cast" in str(error):
            return ("an in-place update (param += ...) cannot store fractions in an integer array, and it changes "
                    "the caller's array anyway: compute a new one, param = param + velocity")
        return None
    if got is None:
        return None
    if isinstance(got, list):
        return "return a tuple, e.g. `return param, velocity`, not a list"
    for mistake, hint in MOMENTUM_MISTAKES:
        if _matches(got, mistake(*args)):
            return hint
    if isinstance(got, tuple) and len(got) == 2 and _matches((got[1], got[0]), expected):
        return "return the two arrays in the order (param, velocity)"
    return None


def _momentum_cases():
    rng = np.random.default_rng(3)
    return [
        Case("by hand: param [1, 2], grad [0.5, -1], velocity [0.2, 0], lr 0.1, beta 0.9",
             (np.array([1.0, 2.0]), np.array([0.5, -1.0]), np.array([0.2, 0.0]), 0.1, 0.9)),
        Case("a 3x4 weight matrix with a non-zero velocity",
             (rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(0, 0.1, (3, 4)), 0.05, 0.9)),
        Case("a single-element parameter, beta = 0.5",
             (np.array([-1.0]), np.array([3.0]), np.array([0.4]), 0.01, 0.5)),
        Case("the first step: velocity starts at zero",
             (rng.normal(size=5), rng.normal(size=5), np.zeros(5), 0.1, 0.99)),
        Case("an integer parameter array param = [3, -1] (dtype int64), velocity [0.5, 0.5]",
             (np.array([3, -1]), np.array([1.0, -2.0]), np.array([0.5, 0.5]), 0.1, 0.9)),
        Case("a zero gradient: the velocity coasts on, shrinking by beta",
             (np.ones((2, 2)), np.zeros((2, 2)), np.array([[0.1, -0.1], [0.3, 0.0]]), 0.1, 0.9)),
    ]


def check_momentum_step(momentum_step):
    """Check momentum_step(param, grad, velocity, lr, beta) -> (param, velocity) on 6 cases."""
    return check_function("momentum_step", momentum_step, _momentum_cases(), reference_momentum_step,
                          diagnose_momentum_step, arg_names=["param", "grad", "velocity"],
                          forbidden=watched_functions(Momentum),
                          forbidden_advice="write the two lines yourself, with NumPy on the arrays you are given: "
                                           "nnlib.Momentum is the finished version, so wrapping it proves nothing")
