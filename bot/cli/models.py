"""``emotion-bot retrain --now`` and ``emotion-bot models list | promote VERSION | rollback``.

The models store (``MODELS_STORE``, default ``models-store/``) keeps the last few versions; the
running bot follows its current pointer within a minute (the model watch job), so ``promote`` and
``rollback`` take effect without a restart. ``retrain --now`` runs the same retraining as the
weekly job, in this process (training itself still runs as a niced child process); a failure
notice it queues is posted by the running bot.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import guard, settings_from_args
from bot.modelstore.registry import ModelRegistry, RegistryError
from bot.modelstore.serving import resolve_model_dir


def _context(args: argparse.Namespace) -> tuple[Any, Any, ModelRegistry, Path]:
    """(settings, job options, registry, the folder serving while none is promoted)."""
    from bot.jobs.options import job_options  # deferred: bot.jobs loads APScheduler

    settings = settings_from_args(args)
    overrides: dict[str, Any] = {}
    if getattr(args, "store", None):
        overrides["models_store"] = Path(args.store)
    if getattr(args, "data", None):
        overrides["retrain"] = {"data": args.data}
    options = job_options(settings, **overrides)
    registry = ModelRegistry(options.models_store, keep=options.models_keep)
    return settings, options, registry, resolve_model_dir(settings.model_dir)


# --- retrain -------------------------------------------------------------------------------------


async def _retrain(args: argparse.Namespace) -> int:
    # deferred: SQLAlchemy and the retraining job; ``models list`` and --help stay light
    from bot.jobs.retrain import Retrainer
    from bot.storage import SqlStore, open_store_engine

    settings, options, registry, default_dir = _context(args)
    engine = open_store_engine(settings.database_url)
    try:
        retrainer = Retrainer(
            store=SqlStore(engine),
            registry=registry,
            options=options.retrain,
            serving_dir=lambda: registry.current_dir(default_dir),
        )
        outcome = await retrainer.run(trigger="now", force=args.force)
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps({"status": outcome.status, **outcome.details}, indent=2, default=str))
    else:
        print(f"retraining {outcome.status}: {outcome.reason}")
        data = outcome.details.get("data")
        if data:
            print("labels: " + ", ".join(f"{k} {v}" for k, v in data.items()))
        gate = outcome.details.get("gate")
        if gate:
            for side in ("current", "candidate"):
                m = gate[side]
                print(
                    f"{side:>9} {m['version']}: community top-1 "
                    f"{m['community']['top1_accuracy']:.3f}, original "
                    f"{gate['split']} {m['original']['headline']:.4f}"
                )
        if outcome.entry is not None:
            print(f"promoted {outcome.entry.version}; a running bot swaps to it within a minute")
        print(f"took {outcome.details.get('duration_s')} s")
    return 1 if outcome.status == "failed" else 0


@guard
def cmd_retrain(args: argparse.Namespace) -> int:
    if not args.now:
        print(
            "emotion-bot retrain: the weekly job retrains on its own; use --now to run it now",
            file=sys.stderr,
        )
        return 2
    return asyncio.run(_retrain(args))


# --- models --------------------------------------------------------------------------------------


def _summary(metrics: dict[str, Any]) -> str:
    gate = metrics.get("gate") or {}
    if gate:
        return (
            f"community top-1 {gate['community']['top1_accuracy']:.3f}, "
            f"original {gate['original']['headline']:.4f}"
        )
    validation = metrics.get("validation") or {}
    score = validation.get("macro_f1_tuned", validation.get("macro_f1"))
    return f"validation macro F1 {score:.4f}" if isinstance(score, float) else ""


@guard
def cmd_models(args: argparse.Namespace) -> int:
    _, _, registry, default_dir = _context(args)
    try:
        if args.action == "promote":
            version = args.version
            if Path(version).is_dir():  # a model folder: recorded where it is, then promoted
                version = registry.ensure_external(Path(version)).version
            entry = registry.promote(version, serving=default_dir)
            print(f"current model: {entry.version} ({entry.path})")
            print("a running bot swaps to it within a minute")
            return 0
        if args.action == "rollback":
            entry = registry.rollback()
            print(f"rolled back to {entry.version} ({entry.path})")
            print("a running bot swaps to it within a minute")
            return 0
    except RegistryError as exc:
        print(f"emotion-bot models: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a broken model folder (ModelLoadError)
        print(f"emotion-bot models: {exc}", file=sys.stderr)
        return 1
    return _list(registry, default_dir, as_json=args.json)


def _list(registry: ModelRegistry, default_dir: Path, *, as_json: bool) -> int:
    current = registry.current()
    entries = registry.entries()
    if as_json:
        print(
            json.dumps(
                {
                    "store": str(registry.root),
                    "current": current.version if current else None,
                    "serving_without_store": None if current else str(default_dir),
                    "history": registry.history(),
                    "versions": [e.__dict__ for e in entries],
                    "state": registry.state(),
                },
                indent=2,
                default=str,
            )
        )
        return 0
    print(f"models store: {registry.root}")
    if current is None:
        print(f"no model promoted: the bot serves MODEL_DIR ({default_dir})")
    for e in reversed(entries):
        mark = "*" if current and e.version == current.version else " "
        print(f"{mark} {e.version}  [{e.source}, added {e.added_at}]  {_summary(e.metrics)}")
        print(f"    {e.path}")
    if not entries:
        print("no versions kept yet (retraining adds them; 'models promote FOLDER' records one)")
    state = registry.state()
    last = state.get("last_attempt")
    if last:
        print(f"last retraining attempt: {last.get('at')} on {last.get('model')}")
    if state.get("last_failure"):
        print(f"last failure: {state['last_failure']}")
    return 0


def register(sub: Any) -> None:
    """Add ``retrain`` and ``models``."""
    p = sub.add_parser("retrain", help="retrain the model on the labels people gave")
    p.add_argument("--now", action="store_true", help="run a retraining now")
    p.add_argument(
        "--force", action="store_true", help="run even with fewer labels than RETRAIN_MIN_LABELS"
    )
    p.add_argument("--json", action="store_true", help="print the run's record as JSON")
    p.add_argument("--database-url", help="override DATABASE_URL")
    p.add_argument("--model-dir", help="override MODEL_DIR")
    p.add_argument("--store", help="override MODELS_STORE")
    p.add_argument("--data", help="override RETRAIN_DATA (the original dataset folder)")
    p.set_defaults(func=cmd_retrain)

    models = sub.add_parser("models", help="model versions kept on disk: list, promote, rollback")
    actions = models.add_subparsers(dest="action", metavar="ACTION")
    for name, text in (
        ("list", "list the kept versions"),
        ("promote", "serve VERSION (or a model folder)"),
        ("rollback", "serve the version before the current one"),
    ):
        a = actions.add_parser(name, help=text)
        if name == "promote":
            a.add_argument("version", metavar="VERSION")
        a.add_argument("--json", action="store_true")
        a.add_argument("--database-url", help=argparse.SUPPRESS)
        a.add_argument("--model-dir", help="override MODEL_DIR")
        a.add_argument("--store", help="override MODELS_STORE")
        a.set_defaults(func=cmd_models)
    models.set_defaults(func=cmd_models, action="list", json=False, store=None, model_dir=None)
