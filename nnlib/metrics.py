"""Classification metrics. y_true and y_pred are integer labels of shape (m,)."""
import numpy as np


def _labels(y, name):
    """y as integer labels (m,): one-hot or probability rows (m, k) become their arg max."""
    y = np.asarray(y)
    if y.ndim == 2:  # one-hot rows or probabilities: take the arg max
        y = y.argmax(axis=1)
    if y.ndim != 1:
        raise ValueError(f"{name} must be labels of shape (m,) or one-hot rows (m, k), got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        if not (np.issubdtype(y.dtype, np.number) and np.all(np.mod(y, 1) == 0)):
            raise ValueError(f"{name} must hold whole-number class labels, got dtype {y.dtype}")
        y = y.astype(np.int64)
    return y


def accuracy(y_true, y_pred):
    """Fraction of examples whose predicted label equals the true one (one-hot rows are accepted too)."""
    y_true, y_pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}")
    if len(y_true) == 0:
        raise ValueError("accuracy of an empty set is undefined")
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, n_classes=10):
    """C[i, j] = number of examples of true class i predicted as class j; shape (n_classes, n_classes)."""
    y_true, y_pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(f"{name} has labels outside 0..{n_classes - 1}")
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def per_class_accuracy(y_true, y_pred, n_classes=10):
    """Accuracy within each true class (the diagonal of the confusion matrix over its row sums): (n_classes,).
    A class with no examples gets nan."""
    counts = confusion_matrix(y_true, y_pred, n_classes)
    totals = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(counts) / totals, np.nan)
