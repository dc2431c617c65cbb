"""Chapter 04 checkers: typical wrong answers get the hint that names their mistake, unusual correct
answers pass. The sgd_step check looks at the very arrays it passed in; the training-loop capstone runs
the student's loop on 5,000 MNIST images and checks every step it takes."""
import numpy as np
import pytest

from exercise_catalogue import MIN_RIGHT, MIN_WRONG, assert_right, assert_wrong
from nnlib import SGD
from nnlib.exercises.ch04 import check_make_batches, check_sgd_step, check_training_loop


# -- sgd_step ----------------------------------------------------------------------------------

def sgd_right(params, grads, lr):
    for p, g in zip(params, grads):
        p -= lr * g


def sgd_slices(params, grads, lr):
    for i in range(len(params)):
        params[i][...] = params[i] - lr * grads[i]


def sgd_out_argument(params, grads, lr):
    for p, g in zip(params, grads):
        np.subtract(p, lr * g, out=p)


def sgd_library(params, grads, lr):
    SGD(lr).step(params, grads)
    return params


def rebinds(params, grads, lr):
    for p, g in zip(params, grads):
        p = p - lr * g  # noqa: F841


def replaces_list_entries(params, grads, lr):
    for i, (p, g) in enumerate(zip(params, grads)):
        params[i] = p - lr * g


def returns_new_arrays(params, grads, lr):
    return [p - lr * g for p, g in zip(params, grads)]


def adds(params, grads, lr):
    for p, g in zip(params, grads):
        p += lr * g


def forgets_lr(params, grads, lr):
    for p, g in zip(params, grads):
        p -= g


def only_first(params, grads, lr):
    params[0] -= lr * grads[0]


def off_by_one_range(params, grads, lr):
    for i in range(len(params) - 1):
        params[i] -= lr * grads[i]


def weight_decay_confusion(params, grads, lr):
    for p, g in zip(params, grads):
        p -= lr * p


def twice(params, grads, lr):
    for p, g in zip(params, grads):
        p -= lr * g
    for p, g in zip(params, grads):
        p -= lr * g


def changes_grads(params, grads, lr):
    for p, g in zip(params, grads):
        g *= lr
        p -= g


def same_gradient_for_all(params, grads, lr):
    for p in params:
        p -= lr * grads[0]


def divides_by_lr(params, grads, lr):
    for p, g in zip(params, grads):
        p -= g / lr


SGD_WRONG = [
    (rebinds, "only rebinds the name p"),
    (replaces_list_entries, "the network still holds the old arrays"),
    (returns_new_arrays, "you returned the new arrays"),
    (adds, "you added the gradient"),
    (forgets_lr, "the learning rate is missing"),
    (only_first, "only some parameters changed"),
    (off_by_one_range, "only some parameters changed"),
    (lambda params, grads, lr: None, "let your loop reach every parameter"),
    (weight_decay_confusion, "you subtracted lr * p"),
    (twice, "applied twice"),
    (changes_grads, "only the parameters change"),
    (same_gradient_for_all, "its own gradient"),
    (divides_by_lr, "lr TIMES the gradient"),
]
SGD_RIGHT = [sgd_right, sgd_slices, sgd_out_argument]


@pytest.mark.parametrize("wrong, phrase", SGD_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_sgd_step_mistakes_are_named(wrong, phrase):
    assert_wrong(check_sgd_step, wrong, phrase)


@pytest.mark.parametrize("right", SGD_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_sgd_step_passes(right):
    assert_right(check_sgd_step, right)


def test_sgd_report_names_the_callers_array():
    message = check_sgd_step(replaces_list_entries).message
    assert "params[0] (the caller's own array) after your step" in message


# -- make_batches ------------------------------------------------------------------------------

def batches_right(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def batches_shuffle_arange(n, batch_size, rng):
    order = np.arange(n)
    rng.shuffle(order)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def batches_split_points(n, batch_size, rng):
    return np.split(rng.permutation(n), range(batch_size, n, batch_size))


def batches_while_loop(n, batch_size, rng):
    order, batches = list(rng.permutation(n)), []
    while order:
        batches.append(np.array(order[:batch_size]))
        order = order[batch_size:]
    return batches


def drops_last(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]


def no_shuffle(n, batch_size, rng):
    order = np.arange(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def with_replacement(n, batch_size, rng):
    order = rng.integers(0, n, size=n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def global_random(n, batch_size, rng):
    order = np.random.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def own_generator(n, batch_size, rng):
    order = np.random.default_rng(42).permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def array_split(n, batch_size, rng):
    return np.array_split(rng.permutation(n), -(-n // batch_size))


def one_short(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i:i + batch_size - 1] for i in range(0, n, batch_size)]


def reshape(n, batch_size, rng):
    return list(rng.permutation(n).reshape(-1, batch_size))


def generator(n, batch_size, rng):
    order = rng.permutation(n)
    return (order[i:i + batch_size] for i in range(0, n, batch_size))


def python_lists(n, batch_size, rng):
    order = rng.permutation(n).tolist()
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def permutes_every_batch(n, batch_size, rng):
    order = np.arange(n)
    return [rng.permutation(order[i:i + batch_size]) for i in range(0, n, batch_size)]


BATCHES_WRONG = [
    (drops_last, "the last, partial batch"),
    (no_shuffle, "not shuffled"),
    (with_replacement, "appear twice"),
    (global_random, "identically seeded generators gave different batches"),
    (own_generator, "ignores the rng"),
    (array_split, "np.array_split"),
    (one_short, "one index short"),
    (reshape, "reshape needs batch_size to divide n"),
    (generator, "not ( ... ) (a generator)"),
    (python_lists, "NumPy index arrays"),
    (permutes_every_batch, "exactly once, before cutting"),
]
BATCHES_RIGHT = [batches_right, batches_shuffle_arange, batches_split_points, batches_while_loop]


@pytest.mark.parametrize("wrong, phrase", BATCHES_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_make_batches_mistakes_are_named(wrong, phrase):
    assert_wrong(check_make_batches, wrong, phrase)


@pytest.mark.parametrize("right", BATCHES_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_make_batches_passes(right):
    assert_right(check_make_batches, right)


def test_batch_messages_speak_of_batches_not_tuples():
    message = check_make_batches(drops_last).message
    assert "expected a list of 4 batches, got 3" in message and "tuple" not in message


# -- the capstone: a training loop -------------------------------------------------------------

def train_right(net, X, Y, epochs, batch_size, lr, rng):
    for _ in range(epochs):
        for batch in batches_right(len(X), batch_size, rng):
            _, grads = net.loss_and_gradients(X[batch], Y[batch])
            sgd_right(net.parameters(), grads, lr)


def train_with_library_pieces(net, X, Y, epochs, batch_size, lr, rng):
    """Correct: nnlib's SGD and the forward/backward pair called by hand."""
    from nnlib.losses import output_delta
    optimizer = SGD(lr)
    for _ in range(epochs):
        order = rng.permutation(X.shape[0])
        start = 0
        while start < len(order):
            index = order[start:start + batch_size]
            a, caches = net.forward(X[index], training=True)
            delta = output_delta(net.loss, net.output, caches[-1][1], a, Y[index])
            optimizer.step(net.parameters(), net.backward(delta, caches))
            start += batch_size


def train_shuffle_via_choice(net, X, Y, epochs, batch_size, lr, rng):
    """Correct: a different (valid) shuffle, rng.choice without replacement."""
    for _ in range(epochs):
        order = rng.choice(len(X), size=len(X), replace=False)
        for i in range(0, len(X), batch_size):
            _, grads = net.loss_and_gradients(X[order[i:i + batch_size]], Y[order[i:i + batch_size]])
            for p, g in zip(net.parameters(), grads):
                p[...] -= lr * g


def make_loop(name, *, shuffle="per_epoch", drop_last=False, epochs_override=None, steps=None, step="sgd",
              pair="same", full_batch=False):
    def student(net, X, Y, epochs, batch_size, lr, rng):
        n = len(X)
        fixed, own = rng.permutation(n), np.random.default_rng(0)
        for epoch in range(epochs if epochs_override is None else epochs_override):
            order = {"per_epoch": lambda: rng.permutation(n), "once": lambda: fixed,
                     "none": lambda: np.arange(n), "global": lambda: np.random.permutation(n),
                     "own": lambda: own.permutation(n),
                     "own_each": lambda: np.random.default_rng(0).permutation(n),
                     "replace": lambda: rng.integers(0, n, size=n)}[shuffle]()
            size = n if full_batch else batch_size
            starts = list(range(0, n - size + 1 if drop_last else n, size))[:steps]
            for start in starts:
                index = order[start:start + size]
                Y_index = rng.permutation(index) if pair == "shuffled" else index
                _, grads = net.loss_and_gradients(X[index], Y[Y_index])
                params = net.parameters()
                for p, g in zip(params, grads):
                    if step == "sgd":
                        p -= lr * g
                    elif step == "plus":
                        p += lr * g
                    elif step == "no_lr":
                        p -= g
                    elif step == "rebind":
                        p = p - lr * g  # noqa: F841
    student.__name__ = name
    return student


def shuffles_data_in_place(net, X, Y, epochs, batch_size, lr, rng):
    for _ in range(epochs):
        rng.shuffle(X)
        rng.shuffle(Y)
        for i in range(0, len(X), batch_size):
            _, grads = net.loss_and_gradients(X[i:i + batch_size], Y[i:i + batch_size])
            sgd_right(net.parameters(), grads, lr)


def trains_a_new_network(net, X, Y, epochs, batch_size, lr, rng):
    from nnlib import Network
    own = Network(net.sizes, activation="sigmoid", loss="quadratic")
    for _ in range(epochs):
        for batch in batches_right(len(X), batch_size, rng):
            _, grads = own.loss_and_gradients(X[batch], Y[batch])
            sgd_right(own.parameters(), grads, lr)
    return own


def hard_codes_the_settings(net, X, Y, epochs, batch_size, lr, rng):
    train_right(net, X, Y, 3, 16, 3.0, rng)


def trains_on_notebook_globals(net, X, Y, epochs, batch_size, lr, rng):
    from nnlib import load_mnist, to_one_hot
    mnist = load_mnist(validation_size=10_000)   # the notebook's X_small: the first 5,000 training images
    X_small, Y_small = mnist.X_train[:5000], to_one_hot(mnist.y_train[:5000], 10)
    train_right(net, X_small, Y_small, epochs, batch_size, lr, rng)


def hard_codes_the_learning_rate(net, X, Y, epochs, batch_size, lr, rng):
    train_right(net, X, Y, epochs, batch_size, 3.0, rng)


TRAINING_WRONG = [
    (hard_codes_the_settings, "slices of batch_size"),
    (trains_on_notebook_globals, "not on notebook variables such as X_small"),
    (hard_codes_the_learning_rate, "not the lr = 0.5 your function was given"),
    (make_loop("no_shuffle", shuffle="none"), "shuffle at the start of every epoch"),
    (make_loop("shuffles_once", shuffle="once"), "draw a new shuffle at the start of every epoch"),
    (make_loop("global_random", shuffle="global"), "not from np.random"),
    (make_loop("own_generator", shuffle="own"), "ignores the rng"),
    (make_loop("own_generator_every_epoch", shuffle="own_each"), "new shuffle at the start of every epoch"),
    (make_loop("with_replacement", shuffle="replace"), "sampling with replacement"),
    (make_loop("drops_last", drop_last=True), "keep the last partial batch"),
    (make_loop("one_epoch", epochs_override=1), "loop over the epochs"),
    (make_loop("one_step_per_epoch", steps=1), "not only the first"),
    (make_loop("uphill", step="plus"), "went uphill"),
    (make_loop("no_lr", step="no_lr"), "learning rate is missing"),
    (make_loop("rebinds", step="rebind"), "did not change between two batches"),
    (make_loop("labels_shuffled_separately", pair="shuffled"), "same batch of indices"),
    (make_loop("full_batch", full_batch=True), "slices of batch_size"),
    (shuffles_data_in_place, "shuffle indices, not the data"),
    (trains_a_new_network, "the network you were given"),
]
TRAINING_RIGHT = [train_right, train_with_library_pieces, train_shuffle_via_choice]


@pytest.mark.parametrize("wrong, phrase", TRAINING_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_training_loop_mistakes_are_named(wrong, phrase):
    assert_wrong(check_training_loop, wrong, phrase)


@pytest.mark.parametrize("right", TRAINING_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_training_loop_passes(right):
    result = assert_right(check_training_loop, right)
    assert "more than 87%" in result.message


def test_catalogue_is_broad_enough():
    for wrong, right in [(SGD_WRONG, SGD_RIGHT), (BATCHES_WRONG, BATCHES_RIGHT), (TRAINING_WRONG, TRAINING_RIGHT)]:
        assert len(wrong) >= MIN_WRONG and len(right) >= MIN_RIGHT


# -- calling nnlib's finished version is refused ------------------------------------------------

def test_sgd_step_that_calls_nnlibs_sgd_is_refused():
    result = check_sgd_step(sgd_library)
    assert not result.passed and "calls nnlib.optimizers.SGD, which already does the exercise" in result.message
    assert "p <- p - lr * g" in result.hint


def test_make_batches_that_calls_shuffled_batches_is_refused():
    import nnlib
    for cheat in (lambda n, batch_size, rng: nnlib.shuffled_batches(n, batch_size, rng),
                  lambda n, batch_size, rng: list(nnlib.training.shuffled_batches(n, batch_size, rng))):
        result = check_make_batches(cheat)
        assert not result.passed and "calls nnlib.training.shuffled_batches" in result.message
        assert "write the shuffle and the slicing yourself" in result.hint


def test_training_loop_that_calls_nnlibs_train_is_refused():
    from nnlib import train

    def with_train(net, X, Y, epochs, batch_size, lr, rng):
        train(net, X, Y, optimizer=SGD(lr), epochs=epochs, batch_size=batch_size,
              seed=int(rng.integers(2**31)), evaluate_train=False, progress=False)

    result = check_training_loop(with_train)
    assert not result.passed and "calls nnlib.training.train, which already does the exercise" in result.message
    assert "my_make_batches and my_sgd_step" in result.hint


def test_a_last_step_that_goes_uphill_is_caught():
    def last_step_uphill(net, X, Y, epochs, batch_size, lr, rng):
        batches = [batch for _ in range(epochs) for batch in batches_right(len(X), batch_size, rng)]
        for k, batch in enumerate(batches):
            _, grads = net.loss_and_gradients(X[batch], Y[batch])
            for p, g in zip(net.parameters(), grads):
                if k == len(batches) - 1:
                    p += lr * g
                else:
                    p -= lr * g

    result = check_training_loop(last_step_uphill)
    assert not result.passed and "went uphill" in result.hint and "after the last batch (86)" in result.message
