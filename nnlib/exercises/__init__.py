"""Exercise checkers for the notebook series: `check_<name>(your_function)` runs your implementation on
several cases, including edge cases, and reports either a one-line confirmation or the first failing
input with expected vs got and a hint at the likely mistake. One module per chapter (ch01.py, ...)."""
from .harness import Case, CheckResult, check_function
