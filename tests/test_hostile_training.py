"""Training and the Network API on hostile and clumsy arguments: empty data, a loss that explodes while
staying finite, optimizers given by name or by mistake, bad batch sizes and layer sizes, and the
precision of the cross-entropy at large logits."""
import math

import numpy as np
import pytest

from nnlib import SGD, Adam, Network, softmax_cross_entropy, train
from nnlib.training import TrainingDiverged


def blobs(m=60, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(m) % 3
    X = rng.standard_normal((m, 2)) * 0.3 + np.array([[0, 2], [2, 0], [-2, -1]])[y]
    return X, y


# -- empty data -------------------------------------------------------------------------------------------

def test_training_on_no_examples_says_so():
    net = Network([2, 3])
    with pytest.raises(ValueError, match=r"X has no examples \(shape \(0, 2\)\); training needs at least one row"):
        train(net, np.empty((0, 2)), np.empty(0, dtype=int))


@pytest.mark.parametrize("which", ["validation_data", "test_data"])
def test_empty_evaluation_data_says_so(which):
    X, y = blobs()
    name = "val" if which == "validation_data" else "test"
    with pytest.raises(ValueError, match=f"{name} data has no examples; pass at least one row, or leave it out"):
        train(Network([2, 3]), X, y, epochs=1, **{which: (np.empty((0, 2)), np.empty(0, dtype=int))})


@pytest.mark.parametrize("method", ["compute_loss", "loss_and_gradients"])
def test_the_loss_of_an_empty_batch_says_so(method):
    net = Network([2, 3])
    with pytest.raises(ValueError, match="the batch is empty: X has 0 examples; pass at least one row"):
        getattr(net, method)(np.empty((0, 2)), np.empty((0, 3)))


# -- a loss that grows a millionfold ----------------------------------------------------------------------

class Inflating(SGD):
    """A broken optimizer: every step multiplies the weights by 10. The loss (quadratic, identity outputs)
    grows about 100x per step and stays finite for many steps: divergence without any overflow."""

    def step(self, params, grads):
        for p in params:
            p *= 10.0


def test_a_loss_that_grows_a_millionfold_but_stays_finite_is_divergence():
    X, y = blobs()
    net = Network([2, 4, 3], activation="identity", loss="quadratic", output="identity", seed=1)
    with pytest.raises(TrainingDiverged, match=r"the loss grew to \S+, from \S+ at the first batch at epoch 1, "
                                               r"batch \d+ of \d+ \(learning rate 0\.1\): the steps overshoot"):
        train(net, X, y, optimizer=Inflating(0.1), epochs=3, batch_size=10)
    assert all(np.isfinite(p).all() for p in net.parameters())   # caught long before any overflow


def test_a_millionfold_growth_is_reported_at_the_batch_it_happens():
    X, y = blobs()
    net = Network([2, 4, 3], activation="identity", loss="quadratic", output="identity", seed=1)
    losses = []
    real = net.loss_and_gradients
    net.loss_and_gradients = lambda *args, **kwargs: (lambda result: (losses.append(result[0]), result)[1])(
        real(*args, **kwargs))
    with pytest.raises(TrainingDiverged) as caught:
        train(net, X, y, optimizer=Inflating(0.1), epochs=3, batch_size=10)
    assert losses[-1] > 1e6 * losses[0] and all(loss <= 1e6 * losses[0] for loss in losses[:-1])
    assert f"batch {len(losses)} of " in str(caught.value)  # batches count from 1


# -- optimizers given by name, or by mistake ---------------------------------------------------------------

@pytest.mark.parametrize("name, lr", [("sgd", 0.1), ("momentum", 0.1), ("nesterov", 0.1), ("rmsprop", 1e-3),
                                      ("adam", 1e-3)])
def test_an_optimizer_name_means_that_optimizer_with_its_defaults(name, lr):
    X, y = blobs()
    net = Network([2, 8, 3], activation="relu", init="he", seed=0)
    history = train(net, X, y, optimizer=name, epochs=3, batch_size=10)
    assert history.lr == [lr] * 3
    assert history.loss[-1] < history.loss[0]


@pytest.mark.parametrize("optimizer, message", [
    ("adagrad", "unknown optimizer 'adagrad'; choose one of sgd, momentum, nesterov, rmsprop, adam"),
    (Adam, r"optimizer must be an optimizer object, got the class Adam; create one, e\.g\. optimizer=Adam\(lr=\.\.\.\)"),
    (0.1, r"optimizer must be an optimizer object such as nnlib\.SGD\(lr=0\.1\) or a name \(sgd, .*\), got 0\.1"),
    ({"lr": 0.1}, r"optimizer must be an optimizer object .*got \{'lr': 0\.1\}"),
])
def test_an_optimizer_that_is_not_one_says_what_to_pass(optimizer, message):
    X, y = blobs()
    with pytest.raises(ValueError, match=message):
        train(Network([2, 3]), X, y, optimizer=optimizer, epochs=1)


# -- predict's batch size ---------------------------------------------------------------------------------

@pytest.mark.parametrize("batch_size", [-1, 0, 2.5, "10", True, None])
def test_predict_with_a_batch_size_that_is_not_a_positive_whole_number(batch_size):
    X, _ = blobs()
    net = Network([2, 3])
    for method in (net.predict, net.predict_proba):
        with pytest.raises(ValueError, match=rf"batch_size is the number of rows evaluated at a time and must be "
                                             rf"a whole number >= 1, got {batch_size!r}"):
            method(X, batch_size=batch_size)


# -- layer sizes and settings of the wrong type --------------------------------------------------------------

@pytest.mark.parametrize("sizes, message", [
    ([784, 30.7, 10], r"layer sizes must be whole numbers of units, got 30\.7 in \[784, 30\.7, 10\]"),
    ([784, "30", 10], r"layer sizes must be whole numbers of units, got '30'"),
    ([784, True, 10], r"layer sizes must be whole numbers of units, got True"),
    ([784, None, 10], r"layer sizes must be whole numbers of units, got None"),
    ([784, math.nan, 10], r"layer sizes must be whole numbers of units, got nan"),
    (784, r"sizes must be a list of layer sizes, e\.g\. \[784, 30, 10\], got 784"),
])
def test_layer_sizes_that_are_not_whole_numbers(sizes, message):
    with pytest.raises(ValueError, match=message):
        Network(sizes)


def test_whole_float_sizes_still_work():
    assert Network([4, 3.0, np.int64(2)]).sizes == [4, 3, 2]


@pytest.mark.parametrize("settings, message", [
    (dict(weight_decay=math.nan), r"weight_decay must be >= 0 and finite, got nan"),
    (dict(weight_decay=math.inf), r"weight_decay must be >= 0 and finite, got inf"),
    (dict(weight_decay="0.1"), r"weight_decay must be >= 0 and finite, got '0\.1'"),
    (dict(dropout="0.5"), r"dropout is the probability of dropping a unit and must be in \[0, 1\), got '0\.5'"),
])
def test_settings_of_the_wrong_type_or_not_finite(settings, message):
    with pytest.raises(ValueError, match=message):
        Network([4, 3], **settings)


# -- precision of the cross-entropy ------------------------------------------------------------------------

@pytest.mark.parametrize("offset", [1e4, 1e6, -1e8])
def test_softmax_cross_entropy_is_exact_at_large_logits(offset):
    """z = [c, c - 1] with the first class true: the loss is ln(1 + e^-1) whatever c is, to full precision."""
    z = np.array([[offset, offset - 1]])
    exact = math.log1p(math.exp(-1))            # 0.31326168751822286
    assert softmax_cross_entropy(z, np.array([[1.0, 0.0]])) == pytest.approx(exact, rel=1e-15, abs=0)
    assert softmax_cross_entropy(z, np.array([[0.0, 1.0]])) == pytest.approx(1 + exact, rel=1e-15, abs=0)
