"""Chapter 07 checkers: typical wrong Adam and momentum steps get the hint that names their mistake,
unusual correct ones pass, and an input changed in place is reported."""
import numpy as np
import pytest

from exercise_catalogue import MIN_RIGHT, MIN_WRONG, assert_right, assert_wrong
from nnlib.exercises.ch07 import check_adam_step, check_momentum_step


# -- Adam --------------------------------------------------------------------------------------

def adam(param, grad, s, r, t, lr, beta1, beta2, eps, *, t_shift=0, correct=True, eps_inside=False,
         square=True, swap=False, hats=False, order=None, as_list=False, v_hat_beta1=False, eps_outside=False,
         uphill=False, in_place=False):
    """A student's Adam step; each keyword makes one classic mistake."""
    if swap:
        beta1, beta2 = beta2, beta1
    if in_place:
        s *= beta1
        s += (1 - beta1) * grad
    else:
        s = beta1 * s + (1 - beta1) * grad
    r = beta2 * r + (1 - beta2) * (grad ** 2 if square else grad)
    s_hat = s / (1 - beta1 ** (t + t_shift)) if correct else s
    r_hat = r / (1 - (beta1 if v_hat_beta1 else beta2) ** (t + t_shift)) if correct else r
    if eps_inside:
        step = lr * s_hat / np.sqrt(r_hat + eps)
    elif eps_outside:
        step = lr * s_hat / np.sqrt(r_hat) - eps
    else:
        step = lr * s_hat / (np.sqrt(r_hat) + eps)
    param = param + step if uphill else param - step
    result = (param, s_hat, r_hat) if hats else (param, s, r)
    if order:
        result = tuple(result[i] for i in order)
    return list(result) if as_list else result


def adam_variant(name, **mistake):
    def student(*args):
        return adam(*args, **mistake)
    student.__name__ = name
    return student


def adam_elementwise(param, grad, s, r, t, lr, beta1, beta2, eps):
    """Correct: one number at a time, with Python floats."""
    import math
    out = [np.array(a, dtype=float) for a in (param, s, r)]
    for i in np.ndindex(np.shape(param)):
        m_i = beta1 * float(s[i]) + (1 - beta1) * float(grad[i])
        v_i = beta2 * float(r[i]) + (1 - beta2) * float(grad[i]) ** 2
        step = lr * (m_i / (1 - beta1 ** t)) / (math.sqrt(v_i / (1 - beta2 ** t)) + eps)
        out[0][i], out[1][i], out[2][i] = float(param[i]) - step, m_i, v_i
    return tuple(out)


def adam_effective_lr(param, grad, s, r, t, lr, beta1, beta2, eps):
    """Correct: the corrections folded into one step size, written with np.square and **0.5."""
    s = beta1 * s + (1 - beta1) * grad
    r = beta2 * r + (1 - beta2) * np.square(grad)
    r_hat = r / (1 - beta2 ** t)
    return param - lr / (1 - beta1 ** t) * s / (r_hat ** 0.5 + eps), s, r


ADAM_WRONG = [
    (adam_variant("t_minus_one", t_shift=-1), "1 - beta**0 = 0"),
    (adam_variant("no_bias_correction", correct=False), "without bias correction"),
    (adam_variant("t_plus_one", t_shift=1), "beta**(t + 1)"),
    (adam_variant("eps_inside_sqrt", eps_inside=True), "eps belongs outside the square root"),
    (adam_variant("unsquared", square=False), "SQUARED gradient"),
    (adam_variant("betas_swapped", swap=True), "beta1 and beta2 are swapped"),
    (adam_variant("returns_hats", hats=True), "not the bias-corrected s_hat"),
    (adam_variant("wrong_order", order=(2, 1, 0)), "in the order (param, s, r)"),
    (adam_variant("returns_list", as_list=True), "not a list"),
    (adam_variant("v_hat_with_beta1", v_hat_beta1=True), "each moment uses its own decay rate"),
    (adam_variant("uphill", uphill=True), "the step went uphill"),
    (adam_variant("updates_m_in_place", in_place=True), "instead of changing s"),
]
ADAM_RIGHT = [adam_variant("plain"), adam_elementwise, adam_effective_lr]


@pytest.mark.parametrize("wrong, phrase", ADAM_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_adam_mistakes_are_named(wrong, phrase):
    assert_wrong(check_adam_step, wrong, phrase)


@pytest.mark.parametrize("right", ADAM_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_adam_passes(right):
    assert_right(check_adam_step, right)


def test_in_place_parameter_update_of_an_integer_array_is_explained():
    def in_place(param, grad, s, r, t, lr, beta1, beta2, eps):
        s = beta1 * s + (1 - beta1) * grad
        r = beta2 * r + (1 - beta2) * grad ** 2
        param -= lr * (s / (1 - beta1 ** t)) / (np.sqrt(r / (1 - beta2 ** t)) + eps)
        return param, s, r
    result = check_adam_step(in_place)
    assert not result.passed and "param" in result.message and "in place" in result.message


# -- momentum ----------------------------------------------------------------------------------

def momentum_right(param, grad, velocity, lr, beta):
    velocity = beta * velocity - lr * grad
    return param + velocity, velocity


def momentum_copy_then_in_place(param, grad, velocity, lr, beta):
    velocity = velocity.copy()
    velocity *= beta
    velocity -= lr * grad
    return np.add(param, velocity), velocity


def momentum_expanded(param, grad, velocity, lr, beta):
    new_velocity = beta * velocity - lr * grad
    return param + beta * velocity - lr * grad, new_velocity


def opposite_sign(param, grad, velocity, lr, beta):
    velocity = beta * velocity + lr * grad
    return param - velocity, velocity


def forgets_velocity(param, grad, velocity, lr, beta):
    velocity = -lr * grad
    return param + velocity, velocity


def averaging_form(param, grad, velocity, lr, beta):
    velocity = beta * velocity - (1 - beta) * lr * grad
    return param + velocity, velocity


def old_velocity_moves(param, grad, velocity, lr, beta):
    new_velocity = beta * velocity - lr * grad
    return param + velocity, new_velocity


def plain_sgd_param(param, grad, velocity, lr, beta):
    return param - lr * grad, beta * velocity - lr * grad


def beta_on_both(param, grad, velocity, lr, beta):
    velocity = beta * (velocity - lr * grad)
    return param + velocity, velocity


def subtracts_velocity(param, grad, velocity, lr, beta):
    velocity = beta * velocity - lr * grad
    return param - velocity, velocity


def plus_gradient(param, grad, velocity, lr, beta):
    velocity = beta * velocity + lr * grad
    return param + velocity, velocity


def swapped(param, grad, velocity, lr, beta):
    return momentum_right(param, grad, velocity, lr, beta)[::-1]


def in_place_velocity(param, grad, velocity, lr, beta):
    velocity *= beta
    velocity -= lr * grad
    return param + velocity, velocity


def as_list(param, grad, velocity, lr, beta):
    return list(momentum_right(param, grad, velocity, lr, beta))


MOMENTUM_WRONG = [
    (opposite_sign, "opposite sign"),
    (forgets_velocity, "the old velocity is forgotten"),
    (averaging_form, "averaging form"),
    (old_velocity_moves, "OLD velocity"),
    (plain_sgd_param, "plain SGD step"),
    (beta_on_both, "beta multiplies only the old velocity"),
    (subtracts_velocity, "ADDED to the parameter"),
    (plus_gradient, "minus, not plus"),
    (swapped, "in the order (param, velocity)"),
    (in_place_velocity, "instead of changing velocity"),
    (as_list, "not a list"),
]
MOMENTUM_RIGHT = [momentum_right, momentum_copy_then_in_place, momentum_expanded]


@pytest.mark.parametrize("wrong, phrase", MOMENTUM_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_momentum_mistakes_are_named(wrong, phrase):
    assert_wrong(check_momentum_step, wrong, phrase)


@pytest.mark.parametrize("right", MOMENTUM_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_momentum_passes(right):
    assert_right(check_momentum_step, right)


def adam_by_wrapping(optimizer_class):
    """A student's adam_step that hands the work to an optimizer object with the state set from the arguments."""
    def wrapped(param, grad, s, r, t, lr, beta1, beta2, eps):
        optimizer = optimizer_class(lr=lr, beta1=beta1, beta2=beta2, eps=eps)
        optimizer.t, optimizer.s, optimizer.r = t - 1, [s.copy()], [r.copy()]
        params = [np.array(param, dtype=float)]
        optimizer.step(params, [grad])
        return params[0], optimizer.s[0], optimizer.r[0]
    return wrapped


def test_wrapping_nnlib_adam_is_refused():
    from nnlib.optimizers import Adam
    assert adam_by_wrapping(Adam)(np.ones(2), np.ones(2), np.zeros(2), np.zeros(2), 1, 0.1, 0.9, 0.999, 1e-8)[0] \
        == pytest.approx([0.9, 0.9])   # the wrapper really does compute Adam's step
    result = check_adam_step(adam_by_wrapping(Adam))
    assert not result.passed and "calls nnlib.optimizers.Adam" in result.message and "section 4" in result.message


def test_a_notebook_subclass_of_adam_is_refused_too():
    from nnlib.optimizers import Adam

    class FusedAdam(Adam):  # like the chapter's appendix: its own step (no call of Adam.step), Adam's __init__
        def step(self, params, grads):
            self.t += 1
            for p, g, s, r in zip(params, grads, self.s, self.r):
                s *= self.beta1
                s += (1 - self.beta1) * g
                r *= self.beta2
                r += (1 - self.beta2) * g * g
                p -= self.lr * s / (1 - self.beta1 ** self.t) / (np.sqrt(r / (1 - self.beta2 ** self.t)) + self.eps)
    result = check_adam_step(adam_by_wrapping(FusedAdam))
    assert not result.passed and "nnlib.optimizers.Adam" in result.message


def test_wrapping_nnlib_momentum_is_refused():
    from nnlib.optimizers import Momentum

    def wrapped(param, grad, velocity, lr, beta):
        optimizer = Momentum(lr=lr, beta=beta)
        optimizer.velocity = [velocity.copy()]
        params = [np.array(param, dtype=float)]
        optimizer.step(params, [grad])
        return params[0], optimizer.velocity[0]
    result = check_momentum_step(wrapped)
    assert not result.passed and "calls nnlib.optimizers.Momentum" in result.message


def test_catalogue_is_broad_enough():
    for wrong, right in [(ADAM_WRONG, ADAM_RIGHT), (MOMENTUM_WRONG, MOMENTUM_RIGHT)]:
        assert len(wrong) >= MIN_WRONG and len(right) >= MIN_RIGHT
