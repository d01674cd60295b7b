"""``emotion-bot``: the command line. Each command group lives in its own module and registers
itself here; heavy imports (torch, the adapters) happen inside the commands, not at start-up."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bot.cli import bench, db, explain, model, models, run, summary

# Modules exposing ``register(subparsers)``, in the order of ``--help``; each adds its commands
# with ``set_defaults(func=...)``.
COMMAND_MODULES = (
    run,  # run, chat
    db,  # db upgrade / downgrade / current
    model,  # classify, eval, train
    bench,  # bench model / core / explain / variants
    explain,  # explain
    summary,  # summary
    models,  # retrain, models list / promote / rollback
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="emotion-bot", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Alembic announces each of its plugins at INFO when it is imported: noise in every start.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
