"""Train every preset end to end with its own command and print the README's Markdown table.

    .venv/bin/python benchmarks/bench_presets.py                      # all presets: 20-30 minutes on 2 cores
    .venv/bin/python benchmarks/bench_presets.py nielsen-30 best      # only these
    .venv/bin/python benchmarks/bench_presets.py --threads 1          # pin BLAS threads in the child

Each preset runs as `nnlib train --preset NAME --no-progress` in a fresh process. The table gives the wall
time of the whole command (loading MNIST included) and the CPU time the child used; with one BLAS thread
the CPU time is the work itself, so it stays honest when other programs share the machine.
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

FINAL_LINE = re.compile(r"Test accuracy (?P<final>[\d.]+)% after (?P<epochs>\d+) epochs "
                        r"\(best (?P<best>[\d.]+)% at epoch (?P<best_epoch>\d+)\)")


def run_preset(name, threads, log_dir):
    env = dict(os.environ)
    if threads:
        env.update({variable: str(threads) for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                            "MKL_NUM_THREADS")})
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
    print(f"BLAS threads: {args.threads or 'default'}; load average at start: {load}\n")
    print("| preset | reproduces | source reported | nnlib measured (final; best epoch) | wall time | CPU time "
          "| command |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in args.presets or PRESETS:
        preset = PRESETS[name]
        match, wall, cpu = run_preset(name, args.threads, args.log_dir)
        measured = (f"{match['final']}% after {match['epochs']} epochs; best {match['best']}% "
                    f"(epoch {match['best_epoch']})")
        print(f"| {name} | {preset.short} | {preset.source_accuracy} | {measured} | {wall:.0f} s | {cpu:.0f} s "
              f"| `nnlib train --preset {name}` |", flush=True)


if __name__ == "__main__":
    main()
