"""How long load_mnist() takes: the first load (empty verification cache, so every file is hashed)
and later loads (cache hit), for float64 and float32. Run from anywhere:

    .venv/bin/python benchmarks/bench_load.py [--repeats 5] [--data-dir DIR]

The verification cache goes to a fresh temporary folder, so your real cache is not touched. "Cold"
means only that cache: the operating system's file cache is warm after the first read either way.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np


def timed(function):
    """(wall-clock seconds, CPU seconds of this process): on a busy machine the wall clock also counts
    waiting for a CPU, the CPU time does not."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(dtype, repeats, data_dir):
    """(wall, cpu) of the first load with an empty cache, and the medians of `repeats` later loads."""
    from nnlib.data import load_mnist

    with tempfile.TemporaryDirectory() as cache:
        os.environ["XDG_CACHE_HOME"] = cache
        first = timed(lambda: load_mnist(data_dir, dtype=dtype))
        later = [timed(lambda: load_mnist(data_dir, dtype=dtype)) for _ in range(repeats)]
    return first, tuple(statistics.median(column) for column in zip(*later))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="later loads to take the median of")
    parser.add_argument("--data-dir", default=None, help="MNIST folder (default: as load_mnist finds it)")
    args = parser.parse_args(argv)

    import nnlib.data
    print(f"data: {args.data_dir or nnlib.data.default_data_dir()}")
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs{load}")
    print()
    print(f"| dtype   | first load, wall | first load, CPU | later loads, wall | later loads, CPU |")
    print("| ------- | ---------------: | --------------: | ----------------: | ---------------: |")
    for dtype in (np.float64, np.float32):
        (first_wall, first_cpu), (later_wall, later_cpu) = measure(dtype, args.repeats, args.data_dir)
        print(f"| {np.dtype(dtype).name:7} | {first_wall:14.2f} s | {first_cpu:13.2f} s "
              f"| {later_wall:15.2f} s | {later_cpu:14.2f} s |")
    print(f"\nfirst load: empty verification cache (every file is hashed); later loads: median of "
          f"{args.repeats}, cache hit")

if __name__ == "__main__":
    main()
