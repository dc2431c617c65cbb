"""Chapter 03 checkers: typical wrong answers get the hint that names their mistake, unusual correct
answers pass; the capstone's checker compares with numerical gradients and with nnlib's Network."""
import numpy as np
import pytest

from exercise_catalogue import MIN_RIGHT, MIN_WRONG, assert_right, assert_wrong
from nnlib import sigmoid, sigmoid_prime
from nnlib.exercises.ch03 import check_backprop, check_dense_backward, check_sigmoid_prime


# -- sigmoid_prime -----------------------------------------------------------------------------

def prime_right(z):
    s = sigmoid(z)
    return s * (1 - s)


def prime_tanh(z):
    return 0.25 * (1 - np.tanh(np.asarray(z, dtype=float) / 2) ** 2)


def prime_symmetric_exp(z):
    e = np.exp(-np.abs(np.asarray(z, dtype=float)))
    return e / (1 + e) ** 2


def prime_loop(z):
    z = np.asarray(z, dtype=float)
    return np.array([float(sigmoid(x) * (1 - sigmoid(x))) for x in z.ravel()]).reshape(z.shape)


def s_times_one_minus_z(z):
    return sigmoid(z) * (1 - z)


def z_times_one_minus_z(z):
    return z * (1 - z)


def prime_of_sigma(z):
    s = sigmoid(sigmoid(z))
    return s * (1 - s)


def sigma_itself(z):
    return sigmoid(z)


def tanh_derivative(z):
    return 1 - sigmoid(z) ** 2


def textbook_exp(z):
    return np.exp(-z) / (1 + np.exp(-z)) ** 2


def sign_flipped(z):
    s = sigmoid(z)
    return -s * (1 - s)


def one_plus(z):
    s = sigmoid(z)
    return s * (1 + s)


def integer_scratch(z):
    z = np.asarray(z)
    out = np.zeros_like(z)
    out[...] = sigmoid(z) * (1 - sigmoid(z))
    return out


def overwrites_z(z):
    z[...] = sigmoid(z)
    return z * (1 - z)


def as_list(z):
    return [float(x) for x in np.ravel(prime_right(z))]


def summed(z):
    return prime_right(z).sum(axis=-1)


PRIME_WRONG = [
    (s_times_one_minus_z, "sigma(z) * (1 - z)"),
    (z_times_one_minus_z, "a = z"),
    (prime_of_sigma, "at sigma(z) instead of at z"),
    (sigma_itself, "you returned sigma(z) itself"),
    (tanh_derivative, "derivative of tanh"),
    (textbook_exp, "e^-z overflows"),
    (sign_flipped, "the sign is flipped"),
    (one_plus, "one MINUS sigma"),
    (integer_scratch, "integer dtype"),
    (overwrites_z, "instead of changing z"),
    (as_list, "return a NumPy array"),
    (summed, "one value per entry of z"),
]
PRIME_RIGHT = [prime_right, prime_tanh, prime_symmetric_exp, prime_loop]


@pytest.mark.parametrize("wrong, phrase", PRIME_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_sigmoid_prime_mistakes_are_named(wrong, phrase):
    assert_wrong(check_sigmoid_prime, wrong, phrase)


@pytest.mark.parametrize("right", PRIME_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_sigmoid_prime_passes(right):
    assert_right(check_sigmoid_prime, right)


# -- dense_backward ----------------------------------------------------------------------------

def backward_right(dZ, cache):
    X, W = cache
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)


def backward_einsum(dZ, cache):
    X, W = cache
    return np.einsum("mo,io->mi", dZ, W), np.einsum("mi,mo->io", X, dZ), np.einsum("mo->o", dZ)


def backward_per_example(dZ, cache):
    X, W = cache
    dW = sum(np.outer(x, d) for x, d in zip(X, dZ))
    db = sum(dZ)
    return np.stack([W @ d for d in dZ]), dW, db


def db_not_summed(dZ, cache):
    X, W = cache
    return dZ @ W.T, X.T @ dZ, dZ


def db_keepdims(dZ, cache):
    X, W = cache
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0, keepdims=True)


def db_wrong_axis(dZ, cache):
    X, W = cache
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=1)


def db_mean(dZ, cache):
    X, W = cache
    return dZ @ W.T, X.T @ dZ, dZ.mean(axis=0)


def dW_transposed(dZ, cache):
    X, W = cache
    return dZ @ W.T, dZ.T @ X, dZ.sum(axis=0)


def dW_over_m(dZ, cache):
    X, W = cache
    return dZ @ W.T, X.T @ dZ / len(dZ), dZ.sum(axis=0)


def dX_without_transpose(dZ, cache):
    X, W = cache
    return dZ @ W, X.T @ dZ, dZ.sum(axis=0)


def dX_over_m(dZ, cache):
    X, W = cache
    return dZ @ W.T / len(dZ), X.T @ dZ, dZ.sum(axis=0)


def order_swapped(dZ, cache):
    X, W = cache
    return X.T @ dZ, dZ @ W.T, dZ.sum(axis=0)


def as_list(dZ, cache):
    return list(backward_right(dZ, cache))


def db_summed_everything(dZ, cache):
    X, W = cache
    return dZ @ W.T, X.T @ dZ, dZ.sum()


def dW_wrong_product(dZ, cache):
    X, W = cache
    return dZ @ W.T, X @ dZ, dZ.sum(axis=0)


def updates_W(dZ, cache):
    X, W = cache
    return dZ @ W.T, W - X.T @ dZ, dZ.sum(axis=0)


def dX_sign(dZ, cache):
    X, W = cache
    return -(dZ @ W.T), X.T @ dZ, dZ.sum(axis=0)


def scales_dZ_in_place(dZ, cache):
    X, W = cache
    dZ *= 1.0 / len(dZ) * len(dZ) + 1e-3   # "normalizes" the caller's dZ in place
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)


def forgets_return(dZ, cache):
    X, W = cache
    dX, dW, db = dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)  # noqa: F841


BACKWARD_WRONG = [
    (db_not_summed, "summed over the batch"),
    (db_keepdims, "without keepdims"),
    (db_wrong_axis, "wrong axis"),
    (db_mean, "just sum"),
    (dW_transposed, "dW is transposed"),
    (dW_over_m, "dW is divided by m"),
    (dX_without_transpose, "W transposed"),
    (dX_over_m, "dX is divided by m"),
    (order_swapped, "the order is (dX, dW, db)"),
    (as_list, "not a list"),
    (db_summed_everything, "sum over the rows only"),
    (dW_wrong_product, "mismatched sizes"),
    (updates_W, "the optimizer's job"),
    (dX_sign, "wrong sign"),
    (scales_dZ_in_place, "instead of changing dZ"),
    (forgets_return, "returned None"),
]
BACKWARD_RIGHT = [backward_right, backward_einsum, backward_per_example]


@pytest.mark.parametrize("wrong, phrase", BACKWARD_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_dense_backward_mistakes_are_named(wrong, phrase):
    assert_wrong(check_dense_backward, wrong, phrase)


@pytest.mark.parametrize("right", BACKWARD_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_dense_backward_passes(right):
    assert_right(check_dense_backward, right)


# -- the capstone: backprop through L layers -----------------------------------------------------

def backprop(weights, biases, X, Y, *, mean=True, prime_at_a=False, hidden_prime=True, output_prime=True,
             sign=1.0, transpose=True, reverse=False, sum_db=True, dW_T=False, layers=None):
    """A student's backprop; each keyword makes one classic mistake."""
    zs, activations = [], [X]
    for W, b in zip(weights, biases):
        zs.append(activations[-1] @ W + b)
        activations.append(sigmoid(zs[-1]))

    def prime(l):
        return sigmoid_prime(activations[l + 1]) if prime_at_a else sigmoid_prime(zs[l])

    L = len(weights) if layers is None else layers
    delta = sign * (activations[-1] - Y) / (len(X) if mean else 1)
    if output_prime:
        delta = delta * prime(len(weights) - 1)
    dWs, dbs = [], []
    for l in range(len(weights) - 1, len(weights) - 1 - L, -1):
        dWs.insert(0, delta.T @ activations[l] if dW_T else activations[l].T @ delta)
        dbs.insert(0, delta.sum(axis=0) if sum_db else delta)
        if l > 0:
            delta = delta @ (weights[l].T if transpose else weights[l])
            if hidden_prime:
                delta = delta * prime(l - 1)
    return (dWs[::-1], dbs[::-1]) if reverse else (dWs, dbs)


def variant(name, **mistake):
    def student(weights, biases, X, Y):
        return backprop(weights, biases, X, Y, **mistake)
    student.__name__ = name
    return student


def backprop_recursive(weights, biases, X, Y):
    """Correct, written recursively: each call handles one layer and returns the delta below it."""
    def layer(l, a):
        z = a @ weights[l] + biases[l]
        out = sigmoid(z)
        if l == len(weights) - 1:
            delta = (out - Y) / len(X) * sigmoid_prime(z)
            dWs, dbs = [], []
        else:
            delta_above, dWs, dbs = layer(l + 1, out)
            delta = (delta_above @ weights[l + 1].T) * sigmoid_prime(z)
        return delta, [a.T @ delta] + dWs, [delta.sum(axis=0)] + dbs
    _, dWs, dbs = layer(0, X)
    return dWs, dbs


def backprop_einsum_a_form(weights, biases, X, Y):
    """Correct, with einsum and sigma' written as a (1 - a)."""
    activations = [X]
    for W, b in zip(weights, biases):
        activations.append(sigmoid(activations[-1] @ W + b))
    a = activations[-1]
    delta = (a - Y) * a * (1 - a) / X.shape[0]
    dWs, dbs = [None] * len(weights), [None] * len(weights)
    for l in reversed(range(len(weights))):
        dWs[l] = np.einsum("mi,mo->io", activations[l], delta)
        dbs[l] = np.einsum("mo->o", delta)
        a_below = activations[l]
        delta = np.einsum("mo,io->mi", delta, weights[l]) * a_below * (1 - a_below)
    return tuple(dWs), tuple(dbs)


def only_two_layers(weights, biases, X, Y):
    a1 = sigmoid(X @ weights[0] + biases[0])
    z2 = a1 @ weights[-1] + biases[-1]
    delta2 = (sigmoid(z2) - Y) / len(X) * sigmoid_prime(z2)
    delta1 = (delta2 @ weights[-1].T) * sigmoid_prime(X @ weights[0] + biases[0])
    return [X.T @ delta1, a1.T @ delta2], [delta1.sum(axis=0), delta2.sum(axis=0)]


def updates_the_weights(weights, biases, X, Y):
    dWs, dbs = backprop(weights, biases, X, Y)
    for W, dW in zip(weights, dWs):
        W -= 0.1 * dW
    return dWs, dbs


def returns_flat_list(weights, biases, X, Y):
    dWs, dbs = backprop(weights, biases, X, Y)
    return [g for pair in zip(dWs, dbs) for g in pair]


BACKPROP_WRONG = [
    (variant("no_mean", mean=False), "m times too large"),
    (variant("sign_flipped", sign=-1.0), "wrong sign"),
    (variant("prime_at_a", prime_at_a=True), "evaluated at the activation a"),
    (variant("no_hidden_prime", hidden_prime=False), "hidden layers miss their sigma'(z)"),
    (variant("no_output_prime", output_prime=False), "output layer misses sigma'(z^(L))"),
    (variant("W_not_transposed", transpose=False), "TRANSPOSED"),
    (variant("dW_transposed", dW_T=True), "dW^(l) is transposed"),
    (variant("reversed_lists", reverse=True), "reverse order"),
    (variant("db_not_summed", sum_db=False), "summed over the batch rows"),
    (variant("stops_one_layer_early", layers=None if False else 1), "loop over every layer"),
    (only_two_layers, "instead of a fixed number of steps"),
    (updates_the_weights, "backprop only computes gradients"),
    (returns_flat_list, "return two lists"),
]
BACKPROP_RIGHT = [variant("loop", ), backprop_recursive, backprop_einsum_a_form]


@pytest.mark.parametrize("wrong, phrase", BACKPROP_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_backprop_mistakes_are_named(wrong, phrase):
    assert_wrong(check_backprop, wrong, phrase)


@pytest.mark.parametrize("right", BACKPROP_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_backprop_passes(right):
    result = assert_right(check_backprop, right)
    assert "gradient check agrees" in result.message


def test_backprop_report_gives_the_gradient_check_verdict():
    message = check_backprop(variant("no_mean", mean=False)).message
    assert "gradient check: relative error" in message and "numerical gradient" in message


def test_catalogue_is_broad_enough():
    for wrong, right in [(PRIME_WRONG, PRIME_RIGHT), (BACKWARD_WRONG, BACKWARD_RIGHT),
                         (BACKPROP_WRONG, BACKPROP_RIGHT)]:
        assert len(wrong) >= MIN_WRONG and len(right) >= MIN_RIGHT


def backprop_via_network(weights, biases, X, Y):
    from nnlib import Network
    net = Network([weights[0].shape[0]] + [W.shape[1] for W in weights], activation="sigmoid", loss="quadratic")
    net.weights, net.biases = [W.copy() for W in weights], [b.copy() for b in biases]
    _, grads = net.loss_and_gradients(X, Y)
    return list(grads[0::2]), list(grads[1::2])


def backprop_via_numerical_gradients(weights, biases, X, Y):
    from nnlib import Network, numerical_gradient
    net = Network([weights[0].shape[0]] + [W.shape[1] for W in weights], activation="sigmoid", loss="quadratic")
    net.weights, net.biases = [W.copy() for W in weights], [b.copy() for b in biases]
    cost = lambda: net.compute_loss(X, Y)  # noqa: E731
    return [numerical_gradient(cost, W) for W in net.weights], [numerical_gradient(cost, b) for b in net.biases]


@pytest.mark.parametrize("cheat, name", [(backprop_via_network, "nnlib.network.Network.loss_and_gradients"),
                                         (backprop_via_numerical_gradients, "nnlib.gradcheck.numerical_gradient")])
def test_backprop_that_calls_finished_gradients_is_refused(cheat, name):
    result = check_backprop(cheat)
    assert not result.passed and f"calls {name}, which already computes the gradients" in result.message
    assert "BP1-BP4" in result.hint


def test_backprop_may_use_nnlibs_dense_backward():
    from nnlib import dense_backward, sigmoid, sigmoid_prime

    def with_dense_backward(weights, biases, X, Y):
        zs, activations = [], [X]
        for W, b in zip(weights, biases):
            zs.append(activations[-1] @ W + b)
            activations.append(sigmoid(zs[-1]))
        dZ = (activations[-1] - Y) / len(X) * sigmoid_prime(zs[-1])
        dWs, dbs = [None] * len(weights), [None] * len(weights)
        for l in range(len(weights) - 1, -1, -1):
            dA, dWs[l], dbs[l] = dense_backward(dZ, (activations[l], weights[l]))
            if l:
                dZ = dA * sigmoid_prime(zs[l - 1])
        return dWs, dbs

    assert_right(check_backprop, with_dense_backward)
