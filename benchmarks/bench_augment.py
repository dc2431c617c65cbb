"""How fast is nnlib.augment, against one training epoch in the same process? (a benchmark, not a test)

    .venv/bin/python benchmarks/bench_augment.py               # 1 BLAS thread, the best preset's settings
    .venv/bin/python benchmarks/bench_augment.py --threads 2

Times the best preset's augmentation (affine + elastic) and the affine part alone over the 50,000 training
images in batches of 128, as train(augment=...) applies them, and one epoch of the best preset's network
(784-800-800-10, dropout 0.3, Adam, batch 128, float32, no augmentation) over the same images. Wall and CPU
seconds are both printed: on a shared machine the CPU time of a 1-thread run is the honest number.
"""
import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from nnlib import Adam, Network, load_mnist, train
from nnlib.augment import Augmentation
from nnlib.presets import build_augmentation, get_preset

BATCH = 128


def timed(function):
    """(wall seconds, CPU seconds of this process) of one call of function()."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def augment_all(augmentation, X, rng):
    for start in range(0, len(X), BATCH):
        augmentation(X[start:start + BATCH], rng)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    args = parser.parse_args()
    X = load_mnist(validation_size=10000, dtype=np.float32)
    X_train, y_train = X.X_train, X.y_train
    config = get_preset("best").config
    full = build_augmentation(config)
    affine = Augmentation(max_shift=config.max_shift, max_degrees=config.max_degrees, max_scale=config.max_scale)
    with threadpool_limits(args.threads, user_api="blas"):
        rng = np.random.default_rng(0)
        augment_times = {name: timed(lambda: augment_all(aug, X_train, rng))
                         for name, aug in (("affine + elastic (best preset)", full), ("affine only", affine))}
        net = Network(list(config.layers), activation="relu", init="he", dropout=config.dropout, dtype=np.float32)
        epoch = timed(lambda: train(net, X_train, y_train, optimizer=Adam(config.lr), epochs=1, batch_size=BATCH,
                                    progress=False, evaluate_train=False))
    print(f"{len(X_train)} images, batches of {BATCH}, {args.threads} BLAS thread(s)\n")
    print("| work | wall time | CPU time | CPU time / training epoch |")
    print("| --- | --- | --- | --- |")
    print(f"| one training epoch, {'-'.join(map(str, config.layers))} | {epoch[0]:.1f} s | {epoch[1]:.1f} s | 1 |")
    for name, (wall, cpu) in augment_times.items():
        print(f"| augmentation: {name} | {wall:.1f} s | {cpu:.1f} s | {cpu / epoch[1]:.2f} |")


if __name__ == "__main__":
    main()
