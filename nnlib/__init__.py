"""nnlib: fully connected neural networks from scratch in NumPy, the library behind the notebook series.

Shape convention, used by every function in the package:
    batch first. X has shape (m, n_features): one example per row, m examples.
    A dense layer computes Z = X @ W + b with W of shape (n_in, n_out) and b of shape (n_out,).
    Labels y are integers of shape (m,); one-hot targets Y have shape (m, n_classes).
Parameters are plain NumPy arrays (Network.weights, Network.biases); float64 by default.
"""
from .activations import (leaky_relu, leaky_relu_prime, relu, relu_prime, sigmoid, sigmoid_prime, softmax,
                          tanh, tanh_prime)
from .data import DataIntegrityError, DownloadError, IDXFormatError, load_mnist, read_idx, to_one_hot
from .gradcheck import check_network_gradients, numerical_gradient, rel_error
from .layers import dense_backward, dense_forward
from .losses import binary_cross_entropy, cross_entropy_loss, quadratic_loss, softmax_cross_entropy
from .metrics import accuracy, confusion_matrix, per_class_accuracy
from .network import Network
from .optimizers import SGD, Adam, Momentum, RMSProp
from .schedules import cosine_decay, step_decay
from .serialization import load_network, save_network
from .training import History, TrainingDiverged, train

__version__ = "0.1.0"
