"""Optimizers with explicit, inspectable state. Each `step(params, grads)` updates params in place,
by the rule stated in its class docstring.

params and grads are matching lists of arrays (Network.parameters() and the gradients from
Network.loss_and_gradients); the optimizer keeps one state array per parameter where it needs one.
`lr` is a plain attribute, so a schedule can change it between steps.
"""
import numpy as np


class SGD:
    """Plain (stochastic) gradient descent:  theta <- theta - lr * g."""

    def __init__(self, lr=0.1):
        self.lr = check_lr(lr)

    def step(self, params, grads):
        for p, g in zip(params, grads):
            p -= self.lr * g


class Momentum:
    """SGD with momentum (Polyak):  v <- beta v - lr g;  theta <- theta + v.

    nesterov=True uses the look-ahead form (Sutskever et al., 2013):  theta <- theta + beta v - lr g,
    with v already updated: the step is taken from where the momentum is about to carry us.
    """

    def __init__(self, lr=0.1, beta=0.9, nesterov=False):
        self.lr, self.beta, self.nesterov = check_lr(lr), beta, nesterov
        self.velocity = None

    def step(self, params, grads):
        if self.velocity is None:
            self.velocity = zeros_like_each(params)
        check_state(self.velocity, params)
        for p, g, v in zip(params, grads, self.velocity):
            v *= self.beta
            v -= self.lr * g
            if self.nesterov:
                p += self.beta * v - self.lr * g
            else:
                p += v


class RMSProp:
    """RMSProp (Hinton, 2012):  r <- rho r + (1 - rho) g^2;  theta <- theta - lr g / (sqrt(r) + eps).
    r is the running mean of squared gradients (the second moment), one per weight, so each weight gets
    its own step size, small where gradients have been large."""

    def __init__(self, lr=1e-3, rho=0.9, eps=1e-8):
        self.lr, self.rho, self.eps = check_lr(lr), rho, eps
        self.r = None

    def step(self, params, grads):
        if self.r is None:
            self.r = zeros_like_each(params)
        check_state(self.r, params)
        for p, g, r in zip(params, grads, self.r):
            r[...] = self.rho * r + (1 - self.rho) * g * g
            p -= self.lr * g / (np.sqrt(r) + self.eps)


class Adam:
    """Adam, Kingma & Ba (2015), Algorithm 1, in the notation of Goodfellow et al., Algorithm 8.7.
    At step t = 1, 2, ..., for each parameter theta with gradient g (all element-wise, shapes of theta):

        s <- beta1 s + (1 - beta1) g            first moment: running mean of the gradients
        r <- beta2 r + (1 - beta2) g^2          second moment: running mean of the squared gradients
        s_hat = s / (1 - beta1^t),  r_hat = r / (1 - beta2^t)    bias correction: s and r start at 0
        theta <- theta - lr s_hat / (sqrt(r_hat) + eps)
    """

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = check_lr(lr), beta1, beta2, eps
        self.t, self.s, self.r = 0, None, None

    def step(self, params, grads):
        if self.s is None:
            self.s = zeros_like_each(params)
            self.r = zeros_like_each(params)
        check_state(self.s, params)
        self.t += 1
        for p, g, s, r in zip(params, grads, self.s, self.r):
            s[...] = self.beta1 * s + (1 - self.beta1) * g          # first moment
            r[...] = self.beta2 * r + (1 - self.beta2) * g * g      # second moment
            s_hat = s / (1 - self.beta1 ** self.t)                  # bias correction
            r_hat = r / (1 - self.beta2 ** self.t)
            p -= self.lr * s_hat / (np.sqrt(r_hat) + self.eps)


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "nesterov": lambda **kw: Momentum(nesterov=True, **kw),
              "rmsprop": RMSProp, "adam": Adam}


def make_optimizer(name, **hyperparameters):
    """Build an optimizer by name: sgd, momentum, nesterov, rmsprop or adam."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name](**hyperparameters)


def zeros_like_each(params):
    """A state array of zeros for each parameter."""
    return [np.zeros_like(p) for p in params]


def check_state(state, params):
    """A ValueError in plain words if the optimizer's state does not match the parameters it is asked to step."""
    if len(state) != len(params) or any(s.shape != np.shape(p) for s, p in zip(state, params)):
        raise ValueError(
            f"this optimizer keeps state for parameters of shapes {[s.shape for s in state]} but was asked to "
            f"update shapes {[np.shape(p) for p in params]}. An optimizer belongs to one network: make a new "
            f"one for each network you train.")


def check_lr(lr):
    """lr as a float if it is a finite number > 0, else a ValueError (True, nan and strings are refused)."""
    if isinstance(lr, (bool, np.bool_)) or not (isinstance(lr, (int, float, np.integer, np.floating))
                                                  and np.isfinite(lr) and lr > 0):
        raise ValueError(f"the learning rate must be a positive number, got {lr!r}")
    return float(lr)
