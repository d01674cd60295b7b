"""What the command modules share: the settings overrides every bot command takes, and the
guard that turns configuration and start-up errors into one clear line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import Settings, SettingsError, load_settings
from bot.core.errors import StartupError


def add_overrides(parser: argparse.ArgumentParser) -> None:
    """``--database-url`` and ``--model-dir``, read by :func:`settings_from_args`."""
    parser.add_argument("--database-url", help="override DATABASE_URL")
    parser.add_argument("--model-dir", help="override MODEL_DIR")


def settings_from_args(args: argparse.Namespace) -> Settings:
    """The settings, with ``--database-url`` and ``--model-dir`` where given. A ``LOG_LEVEL``
    that is set (environment or ``.env``) becomes the level of the log; ``-v`` still wins."""
    overrides: dict[str, object] = {}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    if getattr(args, "model_dir", None):
        overrides["model_dir"] = Path(args.model_dir)
    settings = load_settings(**overrides)
    if "log_level" in settings.model_fields_set and not getattr(args, "verbose", False):
        logging.getLogger().setLevel(settings.log_level)
    return settings


def guard(fn: Callable[[argparse.Namespace], Any]) -> Callable[[argparse.Namespace], int]:
    """Turn configuration and start-up errors into one clear line and exit status 2."""

    def wrapper(args: argparse.Namespace) -> int:
        try:
            return int(fn(args) or 0)
        except (SettingsError, StartupError) as exc:
            print(f"emotion-bot: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130

    return wrapper
