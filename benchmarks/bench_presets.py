"""Train every preset end to end with its own command and print the README's Markdown table.

    .venv/bin/python benchmarks/bench_presets.py                      # all presets: 20-30 minutes on 2 cores
    .venv/bin/python benchmarks/bench_presets.py nielsen-30 best      # only these
    .venv/bin/python benchmarks/bench_presets.py --threads 1          # pin BLAS threads in the child

Each preset runs as `nnlib train --preset NAME --no-progress` in a fresh process. The table gives the wall
time of the whole command (loading MNIST included) and the CPU time the child used; with one BLAS thread
the CPU time is the work itself, so it stays honest when other programs share the machine.
The header names the BLAS kernel the children run (threadpoolctl, in a child with their environment): the
float64 SGD presets are chaotic enough that another kernel's rounding can change their result by points,
e.g. nielsen-100 with OPENBLAS_CORETYPE=Haswell (see the README's notes under the table).
"""
import argparse
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from nnlib.presets import PRESETS

# `nnlib train` ends with one of these, without and with a validation set to choose the epoch on:
#   Test accuracy 95.01% after 30 epochs (no epoch chosen: ...
#   Test accuracy 99.13% at epoch 28 of 30, the epoch of the best validation accuracy (99.03%; ...
FINAL_LINE = re.compile(r"Test accuracy (?P<test>[\d.]+)% (after (?P<epochs>\d+) epochs|at epoch (?P<chosen>\d+) "
                        r"of (?P<ran>\d+)(?P<early>, stopped early)?, the epoch of the best validation accuracy "
                        r"\((?P<val>[\d.]+)%)")


def describe_result(match):
    """The table cell for one run: the test accuracy, and how its epoch was chosen."""
    if match["epochs"]:
        return f"{match['test']}% after {match['epochs']} epochs"
    early = ", stopped early" if match["early"] else ""
    return (f"{match['test']}% at epoch {match['chosen']} of {match['ran']}{early}, chosen on validation "
            f"({match['val']}%)")


def child_environment(threads):
    env = dict(os.environ)
    if threads:
        env.update({variable: str(threads) for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                            "MKL_NUM_THREADS")})
    return env


# Run in a child with the presets' environment, so that it reports the kernel they get, e.g. 'openblas SkylakeX'.
KERNEL_PROBE = """
import numpy as np
from threadpoolctl import threadpool_info
np.ones((64, 64)) @ np.ones((64, 64))
blas = [lib for lib in threadpool_info() if lib.get("user_api") == "blas"]
print(f"{blas[0].get('internal_api')} {blas[0].get('architecture') or ''}".strip() if blas else "unknown")
"""


def blas_kernel(threads):
    """The BLAS library and kernel the preset runs get, as threadpoolctl reports it in a child process."""
    result = subprocess.run([sys.executable, "-c", KERNEL_PROBE], capture_output=True, text=True,
                            env=child_environment(threads))
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else "unknown"


def run_preset(name, threads, log_dir):
    env = child_environment(threads)
    command = [sys.executable, "-m", "nnlib", "train", "--preset", name, "--no-progress"]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    if log_dir:
        (Path(log_dir) / f"{name}.log").write_text(result.stdout + result.stderr)
    match = FINAL_LINE.search(result.stdout)
    if result.returncode != 0 or match is None:
        raise SystemExit(f"{name} failed (exit {result.returncode}):\n{result.stderr[-2000:]}")
    return match, wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("presets", nargs="*", metavar="PRESET", help=f"any of {', '.join(PRESETS)} (default: all)")
    parser.add_argument("--threads", type=int, help="BLAS threads for the child (default: the library's own)")
    parser.add_argument("--log-dir", help="also keep each run's full output here")
    args = parser.parse_args()
    unknown = set(args.presets) - set(PRESETS)
    if unknown:
        parser.error(f"unknown preset(s) {', '.join(sorted(unknown))}; choose from {', '.join(PRESETS)}")
    if args.log_dir:
        Path(args.log_dir).mkdir(parents=True, exist_ok=True)
    load = " ".join(open("/proc/loadavg").read().split()[:3]) if sys.platform == "linux" else "n/a"
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    print(f"BLAS threads: {args.threads or 'default'}; kernel: {blas_kernel(args.threads)}"
          f"{f' (OPENBLAS_CORETYPE={coretype})' if coretype else ''}; load average at start: {load}\n")
    print("| preset | reproduces | source reported | nnlib measured (test accuracy) | wall time | CPU time "
          "| command |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in args.presets or PRESETS:
        preset = PRESETS[name]
        match, wall, cpu = run_preset(name, args.threads, args.log_dir)
        measured = describe_result(match)
        print(f"| {name} | {preset.short} | {preset.source_accuracy} | {measured} | {wall:.0f} s | {cpu:.0f} s "
              f"| `nnlib train --preset {name}` |", flush=True)


if __name__ == "__main__":
    main()
