"""Measurement scripts (not part of the product). Run from the repository root as modules,
e.g. ``python -m benchmarks.bench_scoring --n 100000``; tests/benchmarks runs each one small.
"""
