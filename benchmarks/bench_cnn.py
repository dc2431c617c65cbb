"""One training epoch of the convolutional preset's network in nnlib against the same network in PyTorch on
the CPU, in one run (a benchmark, not a test).

    .venv/bin/python benchmarks/bench_cnn.py                 # full MNIST training set, 1 BLAS thread
    .venv/bin/python benchmarks/bench_cnn.py --images 10000  # a quicker look
    .venv/bin/python benchmarks/bench_cnn.py --rounds 1      # one nnlib epoch, then one PyTorch epoch

The network: conv 5x5 (16 filters, padding 2) - ReLU - max-pool 2 - conv 5x5 (32 filters, padding 2) - ReLU -
max-pool 2 - dense 128 (ReLU, dropout 0.3) - dense 10, softmax and cross-entropy, Adam 1e-3, batch 64, float32.
PyTorch is optional: without it the script says so and times nnlib alone. Both are pinned to one thread
(threadpoolctl for NumPy's BLAS, torch.set_num_threads for PyTorch); the kernel NumPy ran is printed.

The epoch is timed in --rounds slices (default 5) that alternate between the libraries: nnlib's pass over a
slice, then PyTorch's over the same slice, each continuing its own training. On a machine shared with other
jobs the load changes within minutes, and each round's two timings share it: the median of the rounds' ratios
is the headline, beside the ratio of the totals.
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


def torch_epoch(model, X, y, seed=0, optimizer=None):
    """One epoch of Adam on (X, y) with nnlib's batch order for `seed`; returns seconds. optimizer: an Adam
    over model's parameters to continue with (default: a new one)."""
    import torch
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_function = torch.nn.CrossEntropyLoss()
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
    parser.add_argument("--rounds", type=int, default=5, help="alternating slices of the epoch (default 5)")
    options = parser.parse_args()
    data = load_mnist(dtype=np.float32)
    X, y = data.X_train[:options.images], data.y_train[:options.images]
    bounds = np.linspace(0, len(X), options.rounds + 1).astype(int)
    slices = [slice(start, stop) for start, stop in zip(bounds[:-1], bounds[1:])]
    try:
        import torch
        torch.set_num_threads(1)
        model = torch_model()
        torch_optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    except ImportError:
        torch = None
    net, optimizer, ours, theirs = nnlib_model(), Adam(1e-3), [], []
    with threadpool_limits(1):
        kernel = next((f"{i['internal_api']} {i.get('architecture', '')}" for i in threadpool_info()
                       if i["user_api"] == "blas"), "unknown")
        for part in slices:
            history = train(net, X[part], y[part], optimizer=optimizer, epochs=1, batch_size=BATCH, progress=False,
                            evaluate_train=False)
            ours.append(history.epoch_time[0])
            if torch is not None:
                theirs.append(torch_epoch(model, X[part], y[part], optimizer=torch_optimizer))
    print(f"One epoch over {len(X):,} images, batch {BATCH}, float32, 1 thread; NumPy BLAS: {kernel}; "
          f"{len(slices)} alternating rounds\n")
    print("| library | seconds | / PyTorch (total) | / PyTorch (median of rounds) |\n| --- | --- | --- | --- |")
    if torch is None:
        print(f"| nnlib | {sum(ours):.1f} s | n/a | n/a |\n\nPyTorch is not installed: no comparison "
              f"(pip install torch).")
        return
    ratios = [a / b for a, b in zip(ours, theirs)]
    print(f"| nnlib | {sum(ours):.1f} s | {sum(ours) / sum(theirs):.2f} | {float(np.median(ratios)):.2f} |\n"
          f"| PyTorch {torch.__version__} | {sum(theirs):.1f} s | 1.00 | 1.00 |\n")
    print("rounds (nnlib / PyTorch): " + ", ".join(f"{r:.2f}" for r in ratios))


if __name__ == "__main__":
    main()
