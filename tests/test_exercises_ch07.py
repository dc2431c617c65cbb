"""Chapter 07 checkers: a correct step passes; each typical mistake fails with the hint that names it;
whatever a student's function does (raise, return None, a list, a wrong shape) is reported, never a crash."""
import numpy as np
import pytest

from nnlib import Adam, Momentum
from nnlib.exercises.ch07 import (check_adam_step, check_momentum_step, reference_adam_step,
                                  reference_momentum_step)

# The wrong implementations below divide by zero and take square roots of negatives on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def adam_step(param, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_variant(*, correction=True, exponent=lambda t: t, eps_inside=False, square=True, swap=False,
                 return_hat=False, order=(0, 1, 2), as_list=False, sign=1.0):
    """A student's adam_step with one typical mistake switched on."""
    def step(param, grad, m, v, t, lr, beta1, beta2, eps):
        if swap:
            beta1, beta2 = beta2, beta1
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * (grad ** 2 if square else grad)
        m_hat = m / (1 - beta1 ** exponent(t)) if correction else m
        v_hat = v / (1 - beta2 ** exponent(t)) if correction else v
        denominator = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
        result = (param - sign * lr * m_hat / denominator, *((m_hat, v_hat) if return_hat else (m, v)))
        result = tuple(result[i] for i in order)
        return list(result) if as_list else result
    return step


def test_correct_adam_step_passes():
    result = check_adam_step(adam_step)
    assert result.passed, result.message
    assert result.message == "✓ adam_step: all 8 cases pass"


def test_in_place_adam_step_passes_too():
    def in_place(param, grad, m, v, t, lr, beta1, beta2, eps):
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        param -= lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
        return param, m, v
    assert check_adam_step(in_place).passed


@pytest.mark.parametrize("mistake, hint_words", [
    (dict(correction=False), "without bias correction"),
    (dict(exponent=lambda t: t - 1), "divide by 1 - beta**0 = 0"),
    (dict(exponent=lambda t: t + 1), "beta**(t + 1)"),
    (dict(eps_inside=True), "eps belongs outside the square root"),
    (dict(square=False), "SQUARED gradient"),
    (dict(swap=True), "beta1 and beta2 are swapped"),
    (dict(return_hat=True), "not the bias-corrected m_hat and v_hat"),
    (dict(order=(2, 1, 0)), "order (param, m, v)"),
    (dict(sign=-1.0), "m and v are right but the parameter is not"),
    (dict(as_list=True), "return a tuple"),
])
def test_typical_adam_mistakes_fail_with_the_right_hint(mistake, hint_words):
    result = check_adam_step(adam_variant(**mistake))
    assert not result.passed
    assert result.hint is not None and hint_words in result.hint, result.message
    assert hint_words in result.message


def test_eps_inside_the_root_is_caught_on_the_tiny_gradient_case():
    result = check_adam_step(adam_variant(eps_inside=True))
    assert "tiny gradients" in result.case


@pytest.mark.parametrize("student, words", [
    (lambda *args: None, "did you forget `return`"),
    (lambda *args: 1 / 0, "raised ZeroDivisionError"),
    (lambda p, g, m, v, *rest: (p[:1], m, v), "expected shape"),
    (lambda p, g, m, v, *rest: p, "expected a tuple of 3 items"),
    (lambda p, g, m, v, *rest: (p, m), "expected a tuple of 3 items"),
    (lambda p, g, m, v, *rest: ("param", "m", "v"), "item 0"),
])
def test_odd_adam_results_are_reported_not_crashed(student, words):
    result = check_adam_step(student)
    assert not result.passed
    assert words in result.message


def test_not_implemented_gets_the_standard_message():
    def student(*args):
        raise NotImplementedError("compute one Adam step")
    assert "is not implemented yet" in check_adam_step(student).message


def test_reference_adam_step_agrees_with_nnlib_adam_over_several_steps():
    rng = np.random.default_rng(0)
    param, m, v = rng.normal(size=(3, 4)), np.zeros((3, 4)), np.zeros((3, 4))
    library_param, optimizer = param.copy(), Adam(lr=0.01)
    for t in range(1, 6):
        grad = rng.normal(size=(3, 4))
        param, m, v = reference_adam_step(param, grad, m, v, t, 0.01, 0.9, 0.999, 1e-8)
        optimizer.step([library_param], [grad])
    np.testing.assert_allclose(param, library_param, rtol=1e-12)
    np.testing.assert_allclose(m, optimizer.s[0], rtol=1e-12)
    np.testing.assert_allclose(v, optimizer.r[0], rtol=1e-12)


def test_reference_adam_first_step_moves_every_coordinate_by_lr():
    param, _, _ = reference_adam_step(np.array([1.0, -2.0]), np.array([0.5, -4.0]), np.zeros(2), np.zeros(2), 1,
                                      0.1, 0.9, 0.999, 1e-8)
    np.testing.assert_allclose(param, [0.9, -1.9], rtol=1e-6)


# -- momentum ----------------------------------------------------------------------------------


def momentum_step(param, grad, velocity, lr, beta):
    velocity = beta * velocity - lr * grad
    return param + velocity, velocity


def test_correct_momentum_step_passes():
    result = check_momentum_step(momentum_step)
    assert result.passed, result.message
    assert result.message == "✓ momentum_step: all 5 cases pass"


@pytest.mark.parametrize("student, hint_words", [
    (lambda p, g, vel, lr, beta: (p - (beta * vel + lr * g), beta * vel + lr * g), "opposite sign"),
    (lambda p, g, vel, lr, beta: (p - lr * g, -lr * g), "old velocity is forgotten"),
    (lambda p, g, vel, lr, beta: (p + beta * vel - (1 - beta) * lr * g, beta * vel - (1 - beta) * lr * g),
     "(1 - beta) * grad"),
    (lambda p, g, vel, lr, beta: (p + vel, beta * vel - lr * g), "OLD velocity"),
    (lambda p, g, vel, lr, beta: (p - lr * g, beta * vel - lr * g), "plain SGD step"),
    (lambda p, g, vel, lr, beta: (beta * vel - lr * g, p + beta * vel - lr * g), "order (param, velocity)"),
    (lambda p, g, vel, lr, beta: [p + beta * vel - lr * g, beta * vel - lr * g], "return a tuple"),
])
def test_typical_momentum_mistakes_fail_with_the_right_hint(student, hint_words):
    result = check_momentum_step(student)
    assert not result.passed
    assert result.hint is not None and hint_words in result.hint, result.message


def test_reference_momentum_step_agrees_with_nnlib_momentum():
    rng = np.random.default_rng(1)
    param, velocity = rng.normal(size=5), np.zeros(5)
    library_param, optimizer = param.copy(), Momentum(lr=0.05, beta=0.8)
    for _ in range(4):
        grad = rng.normal(size=5)
        param, velocity = reference_momentum_step(param, grad, velocity, 0.05, 0.8)
        optimizer.step([library_param], [grad])
    np.testing.assert_allclose(param, library_param, rtol=1e-12)


def test_odd_momentum_results_are_reported_not_crashed():
    for student in (lambda *a: None, lambda *a: {}["x"], lambda p, g, vel, lr, beta: (p.ravel()[:2], vel)):
        result = check_momentum_step(student)
        assert not result.passed and result.message.startswith("✗ momentum_step failed")
