"""The models store: versions kept on disk, which one serves, and the retraining bookkeeping.

Layout (``MODELS_STORE``, default ``models-store/``)::

    registry.json             versions, the current pointer, the promotion history, job state
    <version>/model/          a model folder (what ``classifier.load`` reads)
    <version>/checkpoint/     its Hugging Face checkpoint (the base of the next retraining)
    runs/<stamp>/             retraining runs: data written for the trainer, logs, gate report

A model that was never copied here (the shipped ``models/goemotions-minilm-int8``) is recorded as
``external`` by its path, so that ``rollback`` can return to it; pruning never deletes it.

Every change happens under a file lock and is written atomically, so the bot (the retraining job,
the model watch) and ``emotion-bot models ...`` in another terminal can share the store. While no
model has been promoted the registry has no current version and the bot serves ``MODEL_DIR``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config import REPO_ROOT
from classifier.artifact import read_artifact

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking, one process at a time
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

REGISTRY_FILE = "registry.json"
LOCK_FILE = ".lock"
RUNS_DIR = "runs"


class RegistryError(RuntimeError):
    """A registry operation that cannot be done (unknown version, nothing to roll back to)."""


@dataclass(frozen=True)
class ModelEntry:
    """One kept model version."""

    version: str
    path: str  # the model folder (absolute)
    added_at: str  # ISO time
    source: str = "retrain"  # "retrain" (copied into the store) | "external" (left where it is)
    checkpoint: str | None = None  # Hugging Face checkpoint folder, when kept
    labels_until: str | None = None  # labels given before this time were available to its training
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return Path(self.path)

    @property
    def checkpoint_dir(self) -> Path | None:
        return Path(self.checkpoint) if self.checkpoint else None

    @property
    def labels_cut(self) -> datetime | None:
        return datetime.fromisoformat(self.labels_until) if self.labels_until else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ModelRegistry:
    """See the module doc. Cheap to construct; every method reads the file afresh."""

    def __init__(self, root: Path | str, *, keep: int = 3) -> None:
        self.root = Path(root).expanduser().resolve()
        self.keep = max(1, keep)

    # --- reading ------------------------------------------------------------------------------

    @property
    def file(self) -> Path:
        return self.root / REGISTRY_FILE

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = {}
        except (OSError, json.JSONDecodeError) as exc:
            raise RegistryError(f"{self.file}: cannot be read ({exc})") from exc
        data.setdefault("current", None)
        data.setdefault("history", [])
        data.setdefault("versions", {})
        data.setdefault("state", {})
        return data

    def entries(self) -> list[ModelEntry]:
        """All kept versions, oldest first."""
        versions = self._read()["versions"]
        entries = [ModelEntry(**v) for v in versions.values()]
        return sorted(entries, key=lambda e: e.added_at)

    def get(self, version: str) -> ModelEntry | None:
        raw = self._read()["versions"].get(version)
        return ModelEntry(**raw) if raw else None

    def current(self) -> ModelEntry | None:
        """The promoted version that serves, or None while ``MODEL_DIR`` serves."""
        data = self._read()
        raw = data["versions"].get(data["current"]) if data["current"] else None
        return ModelEntry(**raw) if raw else None

    def current_dir(self, default: Path) -> Path:
        """The folder the bot should serve: the current version's, else ``default``."""
        entry = self.current()
        if entry is not None and entry.folder.is_dir():
            return entry.folder
        if entry is not None:
            logger.error(
                "current model %s is missing at %s; serving %s", entry.version, entry.path, default
            )
        return default

    def history(self) -> list[str]:
        return list(self._read()["history"])

    def state(self) -> dict[str, Any]:
        """Bookkeeping of the retraining job (last attempt, failure notices)."""
        return dict(self._read()["state"])

    # --- writing ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        """Read-modify-write under the store's file lock."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK_FILE, "a+") as lock:
            _lock(lock)
            try:
                data = self._read()
                yield data
                tmp = self.file.with_suffix(".tmp")
                tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
                os.replace(tmp, self.file)
            finally:
                _unlock(lock)

    def update_state(self, **values: Any) -> dict[str, Any]:
        with self._locked() as data:
            data["state"].update(values)
            return dict(data["state"])

    def ensure_external(self, model_dir: Path) -> ModelEntry:
        """Record a model folder that stays where it is (the shipped model); idempotent."""
        artifact = read_artifact(model_dir)
        with self._locked() as data:
            raw = data["versions"].get(artifact.version)
            if raw:
                return ModelEntry(**raw)
            entry = ModelEntry(
                version=artifact.version,
                path=str(Path(model_dir).resolve()),
                added_at=_now(),
                source="external",
                checkpoint=_checkpoint_of(artifact.meta),
                metrics=dict(artifact.meta.get("metrics") or {}),
            )
            data["versions"][entry.version] = asdict(entry)
            return entry

    def add(
        self,
        model_dir: Path,
        *,
        checkpoint: Path | None = None,
        labels_until: datetime | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> ModelEntry:
        """Move a new model folder (and its checkpoint) into the store; not promoted yet."""
        artifact = read_artifact(model_dir)
        version = artifact.version
        target = self.root / version
        if self.get(version) is not None:
            raise RegistryError(f"version {version} is already in the store")
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        shutil.move(str(model_dir), target / "model")
        kept_ckpt = None
        if checkpoint is not None and checkpoint.is_dir():
            shutil.move(str(checkpoint), target / "checkpoint")
            kept_ckpt = str(target / "checkpoint")
        entry = ModelEntry(
            version=version,
            path=str(target / "model"),
            added_at=_now(),
            source="retrain",
            checkpoint=kept_ckpt,
            labels_until=labels_until.isoformat() if labels_until else None,
            metrics=metrics or dict(artifact.meta.get("metrics") or {}),
        )
        with self._locked() as data:
            data["versions"][version] = asdict(entry)
        return entry

    def promote(self, version: str, *, serving: Path | None = None) -> ModelEntry:
        """Make ``version`` the one that serves (the bot swaps to it within a minute).

        ``serving``: the folder that serves while no version is current (``MODEL_DIR``); it is
        recorded first, so that ``rollback`` can return to it."""
        if serving is not None and self.current() is None:
            first = self.ensure_external(serving)
            with self._locked() as data:
                if data["current"] is None:
                    data["current"] = first.version
                    data["history"].append(first.version)
        with self._locked() as data:
            raw = data["versions"].get(version)
            if not raw:
                known = ", ".join(data["versions"]) or "none"
                raise RegistryError(f"no version {version!r} in {self.root} (kept: {known})")
            entry = ModelEntry(**raw)
            read_artifact(entry.folder)  # refuse a folder that is gone or broken
            if data["current"] != version:
                data["history"].append(version)
            data["current"] = version
        logger.info("model %s promoted", version)
        self.prune()
        return entry

    def rollback(self) -> ModelEntry:
        """Serve the version that served before the current one."""
        with self._locked() as data:
            history = [v for v in data["history"] if v in data["versions"]]
            if len(history) < 2:
                raise RegistryError("nothing to roll back to: no earlier version was promoted")
            history.pop()
            previous = history[-1]
            read_artifact(ModelEntry(**data["versions"][previous]).folder)
            data["history"] = history
            data["current"] = previous
        logger.info("rolled back to model %s", previous)
        return ModelEntry(**data["versions"][previous])

    def prune(self) -> list[str]:
        """Keep the current version, the one before it, the ``keep`` newest retrained ones and
        every external one (they cost no space here: the shipped model stays reachable by
        ``rollback``); delete the rest."""
        removed: list[str] = []
        with self._locked() as data:
            entries = sorted(
                (ModelEntry(**v) for v in data["versions"].values()), key=lambda e: e.added_at
            )
            protected = set(data["history"][-2:]) | {data["current"]}
            retrained = [e for e in entries if e.source != "external"]
            newest = {e.version for e in retrained[-self.keep :]}
            for entry in retrained:
                if entry.version in protected or entry.version in newest:
                    continue
                del data["versions"][entry.version]
                data["history"] = [v for v in data["history"] if v != entry.version]
                removed.append(entry.version)
                if (self.root / entry.version).is_dir():
                    shutil.rmtree(self.root / entry.version, ignore_errors=True)
        if removed:
            logger.info("pruned model versions: %s", ", ".join(removed))
        return removed

    # --- runs ---------------------------------------------------------------------------------

    def new_run_dir(self, stamp: str) -> Path:
        run = self.root / RUNS_DIR / stamp
        run.mkdir(parents=True, exist_ok=False)
        return run

    @contextlib.contextmanager
    def training_lock(self) -> Iterator[bool]:
        """Non-blocking lock: yields False when another process is retraining."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".training.lock", "a+") as lock:
            got = _lock(lock, block=False)
            try:
                yield got
            finally:
                if got:
                    _unlock(lock)


def _checkpoint_of(meta: dict[str, Any]) -> str | None:
    """The Hugging Face checkpoint a packaged model came from, when its run folder is still here."""
    out = (meta.get("training_config") or {}).get("out")
    if not out:
        return None
    selected = meta.get("selection") or {}
    for root in (Path.cwd(), REPO_ROOT):
        ckpt = (root / out / "checkpoint").resolve()
        try:
            selection = json.loads((ckpt / "selection.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        # The run folder may have been trained again since: only the very checkpoint will do.
        same = (
            selection.get("epoch") == selected.get("epoch")
            and abs(float(selection.get("score", -1)) - float(selected.get("validation_score", -2)))
            < 1e-9
        )
        if same and (ckpt / "config.json").is_file():
            return str(ckpt)
    return None


def _lock(handle: Any, *, block: bool = True) -> bool:
    if fcntl is None:  # pragma: no cover - Windows
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def _unlock(handle: Any) -> None:
    if fcntl is None:  # pragma: no cover - Windows
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
