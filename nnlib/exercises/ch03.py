"""Checkers for the exercises of chapter 03 (backpropagation).

    check_sigmoid_prime(fn)    fn(z) -> sigma'(z), element-wise, same shape as z
    check_dense_backward(fn)   fn(dZ, cache) -> (dX, dW, db) for the dense layer Z = X @ W + b, cache = (X, W)
    check_backprop(fn)         fn(weights, biases, X, Y) -> (dWs, dbs): the capstone, backpropagation through
                               an L-layer sigmoid network with the quadratic cost, checked against numerical
                               gradients (nnlib.gradcheck) and against nnlib's Network

Each runs the student's function on several cases (a single row, large values, integer inputs, shapes
other than in the text, networks of 1 to 4 layers), compares with nnlib and names the likely mistake.
Hints in steps: hint("sigmoid_prime", 1), hint("dense_backward", 1), hint("backprop", 1).
"""
import numpy as np

from ..activations import sigmoid, sigmoid_prime
from ..gradcheck import check_network_gradients, numerical_gradient, rel_error
from ..layers import dense_backward
from ..network import Network
from .harness import (Case, attempt, calls_the_answer, changed_inputs, check_function, compare, describe, failure,
                      mutation_report, not_implemented, passed, raised, register_hints, watched_functions)

# -- sigmoid_prime -----------------------------------------------------------------------------

register_hints("sigmoid_prime", [
    "the derivative of the sigmoid can be written with the sigmoid itself, no new exponentials needed.",
    "compute s = sigmoid(z) once (nnlib's sigmoid never overflows); the derivative is a product of s and "
    "one minus s.",
    "s = sigmoid(z); return s * (1 - s).",
])


def check_sigmoid_prime(student_fn):
    """sigma'(z) = sigma(z) (1 - sigma(z)) for z of any shape."""
    return check_function("sigmoid_prime", student_fn, _sigmoid_prime_cases(), sigmoid_prime,
                          diagnose_sigmoid_prime, arg_names=["z"])


def _sigmoid_prime_cases():
    rng = np.random.default_rng(3)
    return [
        Case("z = [-2, -1, 0, 1, 2]", (np.array([-2.0, -1.0, 0.0, 1.0, 2.0]),)),
        Case("a (3, 4) batch of random z", (rng.normal(size=(3, 4)),)),
        Case("a single row (1, 5)", (rng.normal(scale=3.0, size=(1, 5)),)),
        Case("an integer array z = [-2, 0, 3] (dtype int64)", (np.array([-2, 0, 3]),)),
        Case("a row mixing huge values: z = [[-1000, -30, 0, 30, 1000]]",
             (np.array([[-1000.0, -30.0, 0.0, 30.0, 1000.0]]),)),
    ]


def diagnose_sigmoid_prime(args, got, expected, error=None):
    """Name the likely mistake in a sigma'(z) result (or its exception), or None."""
    (z,) = args
    if isinstance(error, FloatingPointError):
        return ("e^-z overflows for z = -1000; do not exponentiate yourself: compute s = sigmoid(z) with "
                "nnlib's sigmoid (it never overflows) and return s * (1 - s)")
    if error is not None:
        return None
    if np.ndim(got) == 0 and np.ndim(z) > 0 and not isinstance(got, (str, bytes)):
        return "you returned a single number: sigma'(z) is element-wise, one value per entry of z (no sums)"
    if isinstance(got, list) or not isinstance(got, np.ndarray):
        return "return a NumPy array shaped like z, computed element-wise (no loops needed)"
    if np.issubdtype(got.dtype, np.integer):
        return ("your result has an integer dtype (np.zeros_like(z) copies z's integer dtype), so the fractions "
                "were cut off: compute with whole arrays, s = sigmoid(z), or convert z to float first")
    if got.shape != expected.shape:
        return "sigma'(z) is element-wise: the result has exactly the shape of z (no sums, no matrix products)"
    s = sigmoid(z)
    zf = np.asarray(z, dtype=float)
    with np.errstate(all="ignore"):
        candidates = [
            (s * (1 - zf), "you wrote sigma(z) * (1 - z); both factors need sigma: sigma(z) * (1 - sigma(z))"),
            (zf * (1 - zf), "you used a * (1 - a) with a = z; the formula needs a = sigma(z), so compute "
                            "s = sigmoid(z) first and return s * (1 - s)"),
            (sigmoid_prime(s), "you evaluated sigma' at sigma(z) instead of at z: apply sigmoid once, "
                               "then s * (1 - s)"),
            (s, "you returned sigma(z) itself; the derivative is sigma(z) * (1 - sigma(z))"),
            (1 - s * s, "1 - sigma(z)^2 looks like the derivative of tanh; for sigmoid it is sigma(z) * (1 - sigma(z))"),
            (-s * (1 - s), "the sign is flipped: sigma is increasing, so its derivative is positive, s * (1 - s)"),
            (s * (1 + s), "it is one MINUS sigma: s * (1 - s)"),
            (s * s * (1 - s), "one factor of sigma too many: s * (1 - s)"),
        ]
    for candidate, hint in candidates:
        if np.allclose(got, candidate, rtol=1e-6, atol=1e-8):
            return hint
    if np.isnan(got).any():
        return ("nan appeared: e^(-z) overflows for z = -1000; use nnlib's sigmoid (it never overflows) "
                "and return s * (1 - s)")
    return None


# -- dense_backward ----------------------------------------------------------------------------

register_hints("dense_backward", [
    "each gradient has the shape of the thing it is the gradient of: dX like X (m, n_in), dW like W "
    "(n_in, n_out), db like b (n_out,). Let the shapes tell you which matrix products fit (for square "
    "matrices a transposed product fits too: then the index sums of section 2 decide).",
    "dW pairs every input column with every output column, summed over the examples: a product of X "
    "transposed with dZ. dX sends dZ back through W, transposed. db adds up dZ over the examples (rows).",
    "X, W = cache; return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0).",
])


def check_dense_backward(student_fn):
    """(dX, dW, db) = (dZ @ W.T, X.T @ dZ, dZ summed over the batch rows), with cache = (X, W)."""
    return check_function("dense_backward", student_fn, _dense_backward_cases(), dense_backward,
                          diagnose_dense_backward, arg_names=["dZ", "cache"])


def _dense_case(description, rng, m, n_in, n_out, scale=1.0, integer_X=False):
    X = rng.integers(0, 10, size=(m, n_in)) if integer_X else rng.normal(scale=scale, size=(m, n_in))
    W = rng.normal(scale=scale, size=(n_in, n_out))
    dZ = rng.normal(scale=scale, size=(m, n_out))
    return Case(description, (dZ, (X, W)))


def _dense_backward_cases():
    rng = np.random.default_rng(4)
    # The square case comes first: there the usual mistakes give wrong numbers of the right shape
    # (not a shape error), so the diagnosis can name them.
    return [
        _dense_case("4 examples, square layer 3 -> 3", rng, 4, 3, 3),
        _dense_case("5 examples, layer 6 -> 2", rng, 5, 6, 2),
        _dense_case("a single example (m = 1), layer 4 -> 3", rng, 1, 4, 3),
        _dense_case("integer inputs X (dtype int64), layer 3 -> 2", rng, 4, 3, 2, integer_X=True),
        _dense_case("10 examples, layer 2 -> 7, large values", rng, 10, 2, 7, scale=1e3),
        _dense_case("3 examples, one output unit (3 -> 1)", rng, 3, 3, 1),
    ]


def diagnose_dense_backward(args, got, expected, error=None):
    """Name the likely mistake in a (dX, dW, db) result (or its exception), or None."""
    dZ, (X, W) = args
    m = len(dZ)
    if error is not None:
        if isinstance(error, ValueError) and "matmul" in str(error):
            return ("a matrix product has mismatched sizes: check each against the shapes, dX = dZ @ W.T "
                    "((m, n_out) @ (n_out, n_in)) and dW = X.T @ dZ ((n_in, m) @ (m, n_out))")
        return None
    if isinstance(got, list) and len(got) == 3:
        return "return a tuple (dX, dW, db), not a list: `return dX, dW, db` does it"
    if not isinstance(got, tuple) or len(got) != 3:
        return "return exactly three arrays, in the order (dX, dW, db)"
    dX, dW, db = got
    exp_dX, exp_dW, exp_db = expected
    if np.ndim(db) == 0 and exp_db.size > 1 and isinstance(db, (float, np.floating, np.ndarray)):
        return "db has one entry per output unit: sum over the rows only, dZ.sum(axis=0), not over everything"
    for part, name in ((dX, "dX"), (dW, "dW"), (db, "db")):
        if not isinstance(part, np.ndarray):
            return f"{name} must be a NumPy array, got {describe(part)}"
    if dW.shape == exp_dX.shape and dX.shape == exp_dW.shape and dX.shape != dW.shape:
        return "the order is (dX, dW, db): the input gradient first, then the weights, then the biases"
    if _close(dX, exp_dW) and _close(dW, exp_dX) and not _close(dX, exp_dX):
        return "the order is (dX, dW, db): the input gradient first, then the weights, then the biases"
    return (_diagnose_db(db, dZ, exp_db, m) or _diagnose_dW(dW, dZ, X, W, exp_dW, m)
            or _diagnose_dX(dX, dZ, W, exp_dX, m))


def _close(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-6, atol=1e-8)


def _diagnose_db(db, dZ, exp_db, m):
    if db.shape == dZ.shape and m > 1:
        return "db must be summed over the batch: db = dZ.sum(axis=0), one number per output unit"
    if db.shape == (1,) + exp_db.shape:
        return "db should be 1-D, shaped like b (n_out,): sum without keepdims, db = dZ.sum(axis=0)"
    row_sums = dZ.sum(axis=1)
    if db.shape == row_sums.shape and (db.shape != exp_db.shape or _close(db, row_sums)) \
            and not _close(db, exp_db):
        return "db is summed over the wrong axis: sum over the rows (the examples), dZ.sum(axis=0)"
    if m > 1 and _close(db, exp_db / m):
        return ("db is the mean of dZ over the batch, but dZ already carries the 1/m of the mean loss; "
                "just sum: db = dZ.sum(axis=0)")
    if db.shape == () or db.size == 1 and exp_db.size > 1:
        return "db has one entry per output unit: sum over the rows only, dZ.sum(axis=0), not over everything"
    return None


def _diagnose_dW(dW, dZ, X, W, exp_dW, m):
    if _close(dW, dZ.T @ X) and not _close(dW, exp_dW):
        return "dW is transposed: dZ.T @ X has shape (n_out, n_in); use dW = X.T @ dZ, shaped like W (n_in, n_out)"
    if dW.shape == exp_dW.shape[::-1] and dW.shape != exp_dW.shape:
        return "dW must have the shape of W, (n_in, n_out): dW = X.T @ dZ"
    if m > 1 and _close(dW, exp_dW / m):
        return ("dW is divided by m, but dZ already carries the 1/m of the mean loss; "
                "dW = X.T @ dZ with no extra factor")
    if _close(dW, W - exp_dW) or _close(dW, W):
        return "return the gradient dW = X.T @ dZ itself; updating W is the optimizer's job, not backward's"
    return None


def _diagnose_dX(dX, dZ, W, exp_dX, m):
    if dZ.shape[1] == W.shape[0] and _close(dX, dZ @ W) and not _close(dX, exp_dX):
        return "dX = dZ @ W.T (W transposed): each input's gradient sums over the outputs it feeds"
    if m > 1 and _close(dX, exp_dX / m):
        return "dX is divided by m; dZ already carries the 1/m, so dX = dZ @ W.T"
    if _close(dX, -exp_dX):
        return "dX has the wrong sign: dX = dZ @ W.T, no minus"
    return None


# -- the capstone: backpropagation through L layers ----------------------------------------------

register_hints("backprop", [
    "two loops. Forward: keep every layer's z^(l) and a^(l) (a^(0) = X). Backward: start from the output "
    "error delta^(L), and walk the layers from L down to 1; each step gives dW^(l), db^(l) and the delta of "
    "the layer below.",
    "delta^(L) = (a^(L) - Y) / m * sigma'(z^(L)) (BP1, with the 1/m of the mean). For layer l: dW^(l) is "
    "a^(l-1) transposed times delta^(l), db^(l) sums delta^(l) over the rows, and delta^(l-1) = "
    "(delta^(l) W^(l)^T) * sigma'(z^(l-1)) (BP2).",
    "zs, activations = [], [X]; for W, b in zip(weights, biases): z = activations[-1] @ W + b; zs.append(z); "
    "activations.append(sigmoid(z)). Then delta = (activations[-1] - Y) / len(X) * sigmoid_prime(zs[-1]); for "
    "l from L-1 down to 0: dWs[l] = activations[l].T @ delta; dbs[l] = delta.sum(axis=0); if l > 0: delta = "
    "(delta @ weights[l].T) * sigmoid_prime(zs[l - 1]).",
])

GRADCHECK_BOUND = 1e-6

# Finished gradients a student's backprop must not call: nnlib's own backward pass, and numerical gradients,
# which are close enough to pass the comparison but teach nothing about BP1-BP4.
BACKPROP_ANSWERS = {code: f"{name}, which already computes the gradients" for code, name in
                    watched_functions(Network.backward, Network.loss_and_gradients, numerical_gradient,
                                      check_network_gradients).items()}
BACKPROP_ADVICE = ("write the backward pass yourself, layer by layer (BP1-BP4): sigmoid, sigmoid_prime and your "
                   "my_dense_backward are the only helpers it needs")


def _variant_backprop(weights, biases, X, Y, *, mean=True, prime="z", hidden_prime=True, output_prime=True,
                      sign=1.0, transpose=True, dW_transposed=False, reverse=False, sum_db=True):
    """The correct backward pass with the defaults; each keyword reproduces one typical mistake."""
    zs, activations = [], [np.asarray(X, dtype=float)]
    for W, b in zip(weights, biases):
        zs.append(activations[-1] @ W + b)
        activations.append(sigmoid(zs[-1]))

    def derivative(l):
        return sigmoid_prime(activations[l + 1]) if prime == "a" else sigmoid_prime(zs[l])

    L, m = len(weights), len(X)
    delta = sign * (activations[-1] - Y) / (m if mean else 1)
    if output_prime:
        delta = delta * derivative(L - 1)
    dWs, dbs = [None] * L, [None] * L
    for l in range(L - 1, -1, -1):
        dWs[l] = delta.T @ activations[l] if dW_transposed else activations[l].T @ delta
        dbs[l] = delta.sum(axis=0) if sum_db else delta
        if l > 0:
            delta = delta @ (weights[l].T if transpose else weights[l])
            if hidden_prime:
                delta = delta * derivative(l - 1)
    return (dWs[::-1], dbs[::-1]) if reverse else (dWs, dbs)


BACKPROP_MISTAKES = [
    (dict(mean=False), "every gradient is m times too large: the cost is the MEAN over the batch, so the "
                       "output error is delta^(L) = (a^(L) - Y) / m * sigma'(z^(L))"),
    (dict(sign=-1.0), "every gradient has the wrong sign: the output error starts from a^(L) - Y, not Y - a^(L)"),
    (dict(prime="a"), "sigma' is evaluated at the activation a instead of at z: use sigmoid_prime(z^(l)), or "
                      "a * (1 - a) written with a itself (not sigmoid_prime(a))"),
    (dict(hidden_prime=False), "the hidden layers miss their sigma'(z): BP2 is delta^(l-1) = "
                               "(delta^(l) W^(l)^T) * sigma'(z^(l-1))"),
    (dict(output_prime=False), "the output layer misses sigma'(z^(L)): with the quadratic cost BP1 is "
                               "delta^(L) = (a^(L) - Y) / m * sigma'(z^(L))"),
    (dict(transpose=False), "delta goes back through W^(l) TRANSPOSED: delta^(l-1) = (delta^(l) @ W^(l).T) "
                            "* sigma'(z^(l-1))"),
    (dict(dW_transposed=True), "dW^(l) is transposed: use a^(l-1).T @ delta^(l), shaped like W^(l) (n_(l-1), n_l)"),
    (dict(reverse=True), "the lists are in reverse order: dWs[0] must be the gradient of weights[0], the first "
                         "layer; reverse the lists you built from the output backwards"),
    (dict(sum_db=False), "db^(l) must be summed over the batch rows: delta^(l).sum(axis=0), shaped like b^(l)"),
]


def _backprop_cases():
    rng = np.random.default_rng(30)

    def network(sizes, m, scale=1.0):
        weights = [rng.normal(0, scale, size=(a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
        biases = [rng.normal(0, scale, size=b) for b in sizes[1:]]
        X = rng.normal(size=(m, sizes[0]))
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=m)]
        return weights, biases, X, Y

    return [
        Case("a 3-3-3-3 network (L = 3 square layers), 4 examples", network([3, 3, 3, 3], 4)),
        Case("a 2-3-2 network (L = 2), 5 examples", network([2, 3, 2], 5)),
        Case("a single layer 4-3 (L = 1), 3 examples", network([4, 3], 3)),
        Case("a 5-4-6-3-2 network (L = 4), a single example (m = 1)", network([5, 4, 6, 3, 2], 1)),
        Case("a 6-8-4 network (L = 2), 10 examples, larger weights", network([6, 8, 4], 10, scale=2.0)),
    ]


def reference_backprop(weights, biases, X, Y):
    """nnlib's own gradients: a Network with these parameters, sigmoid layers, the quadratic cost."""
    sizes = [weights[0].shape[0]] + [W.shape[1] for W in weights]
    net = Network(sizes, activation="sigmoid", loss="quadratic")
    net.weights = [W.copy() for W in weights]
    net.biases = [b.copy() for b in biases]
    _, grads = net.loss_and_gradients(X, Y)
    return grads[0::2], grads[1::2], net


def numerical_gradients(net, X, Y):
    """Centred-difference gradients of the network's cost (nnlib.gradcheck.numerical_gradient)."""
    def cost():
        return net.compute_loss(X, Y)
    return ([numerical_gradient(cost, W) for W in net.weights], [numerical_gradient(cost, b) for b in net.biases])


RETURN_TWO_LISTS = "return two lists: `return dWs, dbs`, with dWs[0] the gradient of weights[0]"


def _structure_problem(got, L):
    """(problem, hint) when got is not two lists of L arrays, else None."""
    if got is None:
        return (f"expected a pair (dWs, dbs) of two lists, got {describe(got)}",
                "your function returned None: finish it with `return dWs, dbs`")
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return f"expected a pair (dWs, dbs) of two lists, got {describe(got)}", RETURN_TWO_LISTS
    for name, part in zip(("dWs", "dbs"), got):
        if not isinstance(part, (list, tuple)):
            return f"{name} must be a list of {L} arrays (one per layer), got {describe(part)}", RETURN_TWO_LISTS
        if len(part) != L:
            return (f"{name} holds {len(part)} gradient(s) but the network has L = {L} layer(s)",
                    "loop over every layer, from L down to 1, instead of a fixed number of steps")
    return None


def diagnose_backprop(args, got, expected):
    """Name the likely mistake in (dWs, dbs): the typical mistake whose gradients match, else the first wrong layer."""
    for mistake, hint in BACKPROP_MISTAKES:
        try:
            variant = _variant_backprop(*args, **mistake)
        except ValueError:  # impossible for these shapes
            continue
        if all(isinstance(g, np.ndarray) and g.shape == v.shape and np.allclose(g, v, rtol=1e-6, atol=1e-9)
               for gs, vs in zip(got, variant) for g, v in zip(gs, vs)):
            return hint
    for gs, es, name in zip(got, expected, ("dW", "db")):
        for l, (g, e) in enumerate(zip(gs, es), 1):
            if compare(g, e, 1e-6, 1e-9):
                return (f"{name}^({l}) is the first wrong gradient (layers counted from 1); the layers above it "
                        f"are right, so look at how delta is passed down to layer {l}")
    return None


def _first_difference(got, expected, numerical):
    for gs, es, ns, name in zip(got, expected, numerical, ("dW", "db")):
        for l, (g, e, n) in enumerate(zip(gs, es, ns), 1):
            problem = compare(g, e, 1e-6, 1e-9)
            if problem:
                verdict = ""
                if isinstance(g, np.ndarray) and g.shape == n.shape:
                    error = rel_error(g, n)
                    verdict = (f"\n  gradient check: relative error {error:.2g} between your {name}^({l}) and the "
                               f"numerical gradient (a correct backward pass stays below {GRADCHECK_BOUND:g})")
                return f"{name}^({l}) (layer {l} of {len(gs)}): {problem}{verdict}"
    return None


def check_backprop(student_fn):
    """Check backprop(weights, biases, X, Y) -> (dWs, dbs) for a network of sigmoid layers
    a^(l) = sigma(a^(l-1) W^(l) + b^(l)) and the quadratic cost C = (1/2m) sum ||a^(L) - y||^2.
    Each case is compared with nnlib's Network and with numerical gradients (nnlib.gradcheck)."""
    name, cases = "backprop", _backprop_cases()
    refused = calls_the_answer(name, student_fn, cases, BACKPROP_ANSWERS, BACKPROP_ADVICE)
    if refused is not None:
        return refused
    for case in cases:
        weights, biases, X, Y = case.args
        exp_dWs, exp_dbs, net = reference_backprop(weights, biases, X, Y)
        numerical = numerical_gradients(net, X, Y)
        args, pristine = _copy(case.args), _copy(case.args)
        outcome = attempt(student_fn, args)
        if isinstance(outcome.error, NotImplementedError):
            return not_implemented(name, case)
        if outcome.error is not None:
            hint = ("a matrix product has mismatched sizes: check every product against the shapes, "
                    "dW^(l) = a^(l-1).T @ delta^(l) and delta^(l-1) = (delta^(l) @ W^(l).T) * sigma'(z^(l-1))"
                    if isinstance(outcome.error, ValueError) and "matmul" in str(outcome.error) else
                    "an index ran past the end of a list: a network of L layers has L weights, L + 1 "
                    "activations (a^(0) = X) and L values of z" if isinstance(outcome.error, IndexError) else None)
            return failure(name, case, raised(outcome), hint)
        changed = changed_inputs(pristine, args, ["weights", "biases", "X", "Y"])
        if changed:
            problem, advice = mutation_report(changed)
            return failure(name, case, problem, "backprop only computes gradients; " + advice)
        found = _structure_problem(outcome.value, len(weights))
        if found:
            return failure(name, case, *found)
        got = tuple(list(part) for part in outcome.value)
        problem = _first_difference(got, (exp_dWs, exp_dbs), numerical)
        if problem:
            return failure(name, case, problem, diagnose_backprop(pristine, got, (exp_dWs, exp_dbs)))
        worst = max(rel_error(g, n) for gs, ns in zip(got, numerical) for g, n in zip(gs, ns))
        if worst > GRADCHECK_BOUND:  # cannot happen when nnlib is right; kept so the claim below is checked
            return failure(name, case, f"gradient check failed: relative error {worst:.2g}")
    return passed(name, len(cases), f", and the gradient check agrees (relative error below {GRADCHECK_BOUND:g})")


def _copy(args):
    weights, biases, X, Y = args
    return [W.copy() for W in weights], [b.copy() for b in biases], X.copy(), Y.copy()
