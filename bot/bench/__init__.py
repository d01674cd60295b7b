"""Measurement programs (``emotion-bot bench ...`` and ``python -m bot.bench.retrain``): tools
that measure the product, apart from it. They build the bot through :mod:`bot.app` and never
import :mod:`bot.cli`."""
