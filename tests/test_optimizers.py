"""Optimizers against updates worked out by hand for the first steps, plus state and lr handling.

Every expected number below is written as the arithmetic of the update rule, not computed by nnlib.
Parameter theta starts at 1.0; the gradients of the three steps are 2, -1, 0.5.
"""
import numpy as np
import pytest

from nnlib import SGD, Adam, Momentum, RMSProp
from nnlib.optimizers import make_optimizer

GRADIENTS = [2.0, -1.0, 0.5]


def run(optimizer, gradients=GRADIENTS, start=1.0):
    """theta after each step, for a one-element parameter."""
    theta, trajectory = np.array([start]), []
    for g in gradients:
        optimizer.step([theta], [np.array([g])])
        trajectory.append(float(theta[0]))
    return trajectory


def test_sgd_by_hand():
    # theta <- theta - 0.1 g:  1 - 0.2 = 0.8;  0.8 + 0.1 = 0.9;  0.9 - 0.05 = 0.85
    assert run(SGD(lr=0.1)) == pytest.approx([0.8, 0.9, 0.85], abs=1e-15)


def test_momentum_by_hand():
    # v <- 0.9 v - 0.1 g;  theta <- theta + v
    # step 1: v = -0.2                        theta = 0.8
    # step 2: v = -0.18 + 0.1 = -0.08         theta = 0.72
    # step 3: v = -0.072 - 0.05 = -0.122      theta = 0.598
    assert run(Momentum(lr=0.1, beta=0.9)) == pytest.approx([0.8, 0.72, 0.598], abs=1e-15)


def test_nesterov_by_hand():
    # v <- 0.9 v - 0.1 g;  theta <- theta + 0.9 v - 0.1 g   (v already updated)
    # step 1: v = -0.2;    theta = 1 - 0.18 - 0.2 = 0.62
    # step 2: v = -0.08;   theta = 0.62 - 0.072 + 0.1 = 0.648
    # step 3: v = -0.122;  theta = 0.648 - 0.1098 - 0.05 = 0.4882
    assert run(Momentum(lr=0.1, beta=0.9, nesterov=True)) == pytest.approx([0.62, 0.648, 0.4882], abs=1e-15)


def test_rmsprop_by_hand():
    # s <- 0.9 s + 0.1 g^2;  theta <- theta - 0.01 g / (sqrt(s) + 1e-8)
    # step 1: s = 0.1 * 4 = 0.4                 theta = 1 - 0.02 / sqrt(0.4)
    # step 2: s = 0.36 + 0.1 = 0.46             theta += 0.01 / sqrt(0.46)
    # step 3: s = 0.414 + 0.025 = 0.439         theta -= 0.005 / sqrt(0.439)
    step1 = 1 - 0.02 / (0.4 ** 0.5 + 1e-8)
    step2 = step1 + 0.01 / (0.46 ** 0.5 + 1e-8)
    step3 = step2 - 0.005 / (0.439 ** 0.5 + 1e-8)
    assert run(RMSProp(lr=0.01, rho=0.9, eps=1e-8)) == pytest.approx([step1, step2, step3], abs=1e-15)
    assert step1 == pytest.approx(0.968377223, abs=1e-9)


def test_adam_by_hand():
    # m <- 0.9 m + 0.1 g;  v <- 0.999 v + 0.001 g^2;  m_hat = m / (1 - 0.9^t);  v_hat = v / (1 - 0.999^t)
    # theta <- theta - 0.001 m_hat / (sqrt(v_hat) + 1e-8)
    # step 1: m = 0.2,  v = 0.004;     m_hat = 0.2 / 0.1 = 2,  v_hat = 0.004 / 0.001 = 4
    # step 2: m = 0.18 - 0.1 = 0.08,   v = 0.003996 + 0.001 = 0.004996
    # step 3: m = 0.072 + 0.05 = 0.122, v = 0.004991004 + 0.00025 = 0.005241004
    step1 = 1 - 0.001 * 2 / (4 ** 0.5 + 1e-8)
    step2 = step1 - 0.001 * (0.08 / 0.19) / ((0.004996 / 0.001999) ** 0.5 + 1e-8)
    step3 = step2 - 0.001 * (0.122 / 0.271) / ((0.005241004 / 0.002997001) ** 0.5 + 1e-8)
    assert run(Adam(lr=0.001)) == pytest.approx([step1, step2, step3], abs=1e-14)


def test_adam_first_step_is_lr_times_the_sign_of_the_gradient():
    # bias correction makes m_hat = g and v_hat = g^2 at t = 1, so the step is lr g / (|g| + eps)
    theta = np.array([0.0, 0.0, 0.0])
    Adam(lr=0.01).step([theta], [np.array([3.0, -1e-3, 250.0])])
    np.testing.assert_allclose(theta, [-0.01, 0.01, -0.01], rtol=1e-5)


def test_state_persists_and_matches_the_update_rule():
    adam = Adam(lr=0.001)
    run(adam)
    assert adam.t == 3
    np.testing.assert_allclose(adam.s[0], [0.122], rtol=1e-14)
    np.testing.assert_allclose(adam.r[0], [0.005241004], rtol=1e-14)
    momentum = Momentum(lr=0.1)
    run(momentum)
    np.testing.assert_allclose(momentum.velocity[0], [-0.122], rtol=1e-14)
    rmsprop = RMSProp(lr=0.01)
    run(rmsprop)
    np.testing.assert_allclose(rmsprop.r[0], [0.439], rtol=1e-14)
    # without its state (a fresh optimizer every step) momentum would simply be SGD
    fresh = [run(Momentum(lr=0.1), [g], start) for g, start in zip(GRADIENTS, [1.0, 0.8, 0.9])]
    assert [f[0] for f in fresh] == pytest.approx([0.8, 0.9, 0.85])


def test_lr_can_be_changed_between_steps():
    sgd = SGD(lr=0.1)
    theta = np.array([1.0])
    sgd.step([theta], [np.array([1.0])])
    sgd.lr = 0.01
    sgd.step([theta], [np.array([1.0])])
    assert theta[0] == pytest.approx(1 - 0.1 - 0.01, abs=1e-15)


@pytest.mark.parametrize("cls", [SGD, Momentum, RMSProp, Adam])
@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf"), "0.1", None, True])
def test_invalid_learning_rates_are_refused(cls, lr):
    with pytest.raises(ValueError, match="the learning rate must be a positive number"):
        cls(lr=lr)


@pytest.mark.parametrize("cls", [SGD, Momentum, RMSProp, Adam])
def test_float32_parameters_stay_float32(cls):
    theta = np.ones(3, dtype=np.float32)
    optimizer = cls(lr=0.1)
    for _ in range(3):
        optimizer.step([theta], [np.full(3, 0.5, dtype=np.float32)])
    assert theta.dtype == np.float32


def test_several_parameters_are_updated_independently():
    W, b = np.ones((2, 2)), np.zeros(2)
    SGD(lr=0.5).step([W, b], [np.full((2, 2), 2.0), np.array([1.0, -1.0])])
    np.testing.assert_array_equal(W, np.zeros((2, 2)))
    np.testing.assert_array_equal(b, [-0.5, 0.5])


def test_make_optimizer_by_name():
    assert isinstance(make_optimizer("adam", lr=0.01), Adam)
    nesterov = make_optimizer("nesterov", lr=0.1)
    assert isinstance(nesterov, Momentum) and nesterov.nesterov
    with pytest.raises(ValueError, match="unknown optimizer 'adagrad'; choose one of sgd, momentum"):
        make_optimizer("adagrad")


@pytest.mark.parametrize("cls", [Momentum, RMSProp, Adam])
def test_an_optimizer_reused_for_another_network_says_so(cls):
    optimizer = cls(lr=0.1)
    optimizer.step([np.zeros((3, 2)), np.zeros(2)], [np.ones((3, 2)), np.ones(2)])
    with pytest.raises(ValueError, match=r"shapes \[\(3, 2\), \(2,\)\].*\[\(2, 2\), \(2,\)\].*one network"):
        optimizer.step([np.zeros((2, 2)), np.zeros(2)], [np.ones((2, 2)), np.ones(2)])
