"""Kept only for ``tests/train/test_smoothing.py`` (``from bot import bench_variants``), which
is being changed by the training work; remove once it imports :mod:`bot.bench.variants` and
registers the command through :func:`bot.cli.bench.register`."""

from bot.bench.variants import run_variants_bench
from bot.cli.bench import _variants as register

__all__ = ["register", "run_variants_bench"]
