"""One training epoch of the convolutional preset's network in nnlib against the same network in PyTorch on
the CPU, in one run (a benchmark, not a test).

    .venv/bin/python benchmarks/bench_cnn.py                 # full MNIST training set, 1 BLAS thread
    .venv/bin/python benchmarks/bench_cnn.py --images 10000  # a quicker look

The network: conv 5x5 (16 filters, padding 2) - ReLU - max-pool 2 - conv 5x5 (32 filters, padding 2) - ReLU -
max-pool 2 - dense 128 (ReLU, dropout 0.3) - dense 10, softmax and cross-entropy, Adam 1e-3, batch 64, float32.
PyTorch is optional: without it the script says so and times nnlib alone. Both are pinned to one thread
(threadpoolctl for NumPy's BLAS, torch.set_num_threads for PyTorch); the kernel NumPy ran is printed.
"""
import argparse
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from nnlib import Adam, load_mnist, train
from nnlib.convnet import Activation, Conv2D, ConvNet, MaxPool2D

BATCH, DROPOUT = 64, 0.3


def nnlib_model(seed=0):
    """The benchmark's network in nnlib, float32."""
    return ConvNet([Conv2D(16, 5, padding=2), Activation(), MaxPool2D(2), Conv2D(32, 5, padding=2), Activation(),
                    MaxPool2D(2)], [128, 10], dropout=DROPOUT, dtype=np.float32, seed=seed)


def torch_model(net=None):
    """The same network in PyTorch; with net, a copy of its weights (K as is, W transposed), else PyTorch's
    own initialization. Dropout masks differ (each library draws its own)."""
    import torch
    layers = [torch.nn.Conv2d(1, 16, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
              torch.nn.Conv2d(16, 32, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
              torch.nn.Linear(32 * 7 * 7, 128), torch.nn.ReLU(), torch.nn.Dropout(DROPOUT), torch.nn.Linear(128, 10)]
    model = torch.nn.Sequential(*layers)
    if net is not None:
        ours = iter(net.parameters())
        with torch.no_grad():
            for layer in model:
                if isinstance(layer, (torch.nn.Conv2d, torch.nn.Linear)):
                    weight, bias = next(ours), next(ours)
                    layer.weight.copy_(torch.from_numpy(weight if weight.ndim == 4 else weight.T.copy()))
                    layer.bias.copy_(torch.from_numpy(bias))
    return model


def torch_epoch(model, X, y, seed=0):
    """One epoch of Adam on (X, y) with nnlib's batch order for `seed`; returns seconds."""
    import torch
    optimizer, loss_function = torch.optim.Adam(model.parameters(), lr=1e-3), torch.nn.CrossEntropyLoss()
    X, y = torch.from_numpy(X.reshape(-1, 1, 28, 28)), torch.from_numpy(np.asarray(y, dtype=np.int64))
    started = time.perf_counter()
    order = torch.from_numpy(np.random.default_rng(seed).permutation(len(X)))
    model.train()
    for start in range(0, len(X), BATCH):
        index = order[start:start + BATCH]
        optimizer.zero_grad(set_to_none=True)
        loss_function(model(X[index]), y[index]).backward()
        optimizer.step()
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=60000, help="training images per epoch (default: all)")
    images = parser.parse_args().images
    data = load_mnist(dtype=np.float32)
    X, y = data.X_train[:images], data.y_train[:images]
    with threadpool_limits(1):
        kernel = next((f"{i['internal_api']} {i.get('architecture', '')}" for i in threadpool_info()
                       if i["user_api"] == "blas"), "unknown")
        history = train(nnlib_model(), X, y, optimizer=Adam(1e-3), epochs=1, batch_size=BATCH, progress=False,
                        evaluate_train=False)
        ours = history.epoch_time[0]
    print(f"One epoch over {len(X):,} images, batch {BATCH}, float32, 1 thread; NumPy BLAS: {kernel}\n")
    print("| library | seconds | / PyTorch |\n| --- | --- | --- |")
    try:
        import torch
    except ImportError:
        print(f"| nnlib | {ours:.1f} s | n/a |\n\nPyTorch is not installed: no comparison (pip install torch).")
        return
    torch.set_num_threads(1)
    theirs = torch_epoch(torch_model(), X, y)
    print(f"| nnlib | {ours:.1f} s | {ours / theirs:.2f} |\n| PyTorch {torch.__version__} | {theirs:.1f} s | 1.00 |")


if __name__ == "__main__":
    main()
