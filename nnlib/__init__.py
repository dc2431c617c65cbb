"""nnlib: fully connected and convolutional neural networks from scratch in NumPy, the library behind the
notebook series.

Shape convention, used by every function in the package:
    batch first. X has shape (m, n_features): one example per row, m examples.
    A dense layer computes Z = X @ W + b with W of shape (n_in, n_out) and b of shape (n_out,).
    Images inside convolutional layers are (m, C, H, W): examples, channels, rows, columns; a ConvNet views
    each row of X as one image (C, H, W), e.g. (1, 28, 28) for MNIST. Filters are (F, C, kh, kw), biases (F,).
    Labels y are integers of shape (m,); one-hot targets Y have shape (m, n_classes).
Parameters are plain NumPy arrays (Network.weights, Network.biases, Conv2D.K, Conv2D.b); float64 by default.
A ConvNet (nnlib.convnet) answers the same calls as a Network, so train(), the optimizers, the gradient check,
the analysis functions, save_network/load_network and the command line work for both.
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
from .training import History, TrainingDiverged, shuffled_batches, train

__version__ = "0.1.0"
