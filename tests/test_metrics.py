"""Metrics and predictions."""
import numpy as np
import pytest

from nnlib import Network, accuracy, confusion_matrix, per_class_accuracy

Y_TRUE = np.array([0, 0, 1, 1, 1, 2])
Y_PRED = np.array([0, 1, 1, 1, 2, 2])


def test_accuracy_by_hand():
    assert accuracy(Y_TRUE, Y_PRED) == 4 / 6
    assert accuracy(np.eye(3)[Y_TRUE], Y_PRED) == 4 / 6              # one-hot rows are read as labels
    assert accuracy([1.0, 2.0], [1, 2]) == 1.0                        # whole-number floats are labels


def test_confusion_matrix_by_hand():
    expected = [[1, 1, 0],     # true 0: one right, one called 1
                [0, 2, 1],     # true 1: two right, one called 2
                [0, 0, 1]]     # true 2: right
    counts = confusion_matrix(Y_TRUE, Y_PRED, n_classes=3)
    np.testing.assert_array_equal(counts, expected)
    assert counts.dtype == np.int64 and counts.sum() == 6


def test_per_class_accuracy_by_hand_and_nan_for_absent_classes():
    result = per_class_accuracy(Y_TRUE, Y_PRED, n_classes=4)
    np.testing.assert_allclose(result[:3], [1 / 2, 2 / 3, 1.0], rtol=1e-15)
    assert np.isnan(result[3])


@pytest.mark.parametrize("call, message", [
    (lambda: accuracy([0, 1], [0]), "y_true has 2 labels but y_pred has 1"),
    (lambda: accuracy([], []), "accuracy of an empty set is undefined"),
    (lambda: accuracy(np.zeros((2, 2, 2)), [0, 1]), r"y_true must be labels of shape \(m,\) or one-hot rows"),
    (lambda: confusion_matrix([0, 5], [0, 1], n_classes=3), r"y_true has labels outside 0\.\.2"),
    (lambda: confusion_matrix([0, 1], [0, -1], n_classes=3), r"y_pred has labels outside 0\.\.2"),
    (lambda: confusion_matrix([0, 1.5], [0, 1], n_classes=3), "y_true must hold whole-number class labels")])
def test_metric_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_predict_proba_and_predict():
    net = Network([4, 5, 3], activation="relu", seed=0)
    X = np.random.default_rng(0).standard_normal((7, 4))
    proba = net.predict_proba(X)
    np.testing.assert_array_equal(proba, net.forward(X)[0])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-14)   # softmax outputs: probabilities
    np.testing.assert_array_equal(net.predict(X), proba.argmax(axis=1))
    assert net.predict(X).shape == (7,)


def test_predict_in_chunks_equals_predict_at_once():
    net = Network([4, 5, 3], activation="tanh", seed=1)
    X = np.random.default_rng(1).standard_normal((23, 4))
    np.testing.assert_allclose(net.predict_proba(X, batch_size=5), net.predict_proba(X), rtol=1e-14)
    assert net.predict_proba(np.empty((0, 4))).shape == (0, 3)
