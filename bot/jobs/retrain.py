"""Retraining on what people labelled: collect, train out of process, gate, promote or not.

One run (:meth:`Retrainer.run`), from the weekly job or ``emotion-bot retrain --now``:

1. the human labels since the current model was made (``store.labels``) are grouped into
   examples; fewer than ``min_labels`` new ones (or too few since the last failed or rejected
   attempt on the same model) and the run is skipped;
2. a hash-chosen slice of all community examples is held out for the gate; the rest that are new
   (all of them when training restarts from the original base) are written in the dataset's
   format, with a sidecar asking for a replay sample of the original training data;
3. ``nice -n 10 python -m train fit --base BASE --extra-train FILE ...`` runs as a child process
   (BASE: the current model's Hugging Face checkpoint when it is kept, else its base model);
4. the candidate is loaded once (a corrupt export fails here), then ``python -m train.gate``
   compares it with the current model;
5. a promoted candidate moves into the models store and becomes current; the caller swaps it
   into the running service. Every run is recorded with ``store.record_job_run``; a failure
   leaves the current model serving and queues one notice for the moderators.

Message texts written for the trainer are deleted when the run ends (the labels' retention
limit stays the only place text lives); those a run left behind because the bot was killed in the
middle are deleted when the next :class:`Retrainer` is made (the bot's next start) and at the end
of every run, under the training lock (no run in progress owns them then).
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import classifier
from bot.config import REPO_ROOT
from bot.core.events import Card
from bot.core.ports import MessageStore
from bot.jobs import exemplars, strings
from bot.jobs.labels import (
    Example,
    UnsupportedScheme,
    data_suffix,
    examples_from,
    holdout_split,
    write_examples,
)
from bot.jobs.options import RetrainOptions
from bot.jobs.process import ProcessResult, run_logged
from bot.modelstore.registry import RUNS_DIR, ModelEntry, ModelRegistry
from classifier.artifact import ModelArtifact, read_artifact

logger = logging.getLogger(__name__)
T = TypeVar("T")

JOB_NAME = "retrain"
KEEP_RUNS = 5
MAX_NOTICES = 5
# what a run writes with labelled texts (and the communities' exemplars)
TEXT_FILES = ("extra.*", "community-holdout.*", "community-exemplars.*")


class RetrainFailure(Exception):
    """A run that cannot go on; ``kind`` keys :data:`bot.jobs.strings.FAILURES`."""

    def __init__(self, kind: str, **values: Any) -> None:
        self.kind = kind
        self.values = values
        super().__init__(strings.FAILURES[kind].format(**values))


@dataclass
class RetrainOutcome:
    status: str  # promoted | rejected | failed | skipped
    reason: str
    details: dict[str, Any] = field(default_factory=dict)
    entry: ModelEntry | None = None  # the promoted version


def utcnow() -> datetime:
    return datetime.now(UTC)


async def _to_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(fn, *args, **kwargs)


def _resolve(path: str | None) -> Path | None:
    if not path:
        return None
    for root in (Path.cwd(), REPO_ROOT):
        candidate = (root / path).expanduser()
        if candidate.exists():
            return candidate.resolve()
    return None


def _root_base(described: dict[str, Any]) -> str | None:
    """The pretrained encoder at the root of ``meta["base_model"]``'s ``fine_tuned_from`` chain."""
    if "fine_tuned_from" not in described:
        return None  # the base was the pretrained encoder itself
    while "fine_tuned_from" in described:
        described = described["fine_tuned_from"]
    name = described.get("name")
    return str(name) if name else None


def retrain_base(
    checkpoint: Path | None, meta: dict[str, Any], shipped: Path | None = None
) -> tuple[str, bool]:
    """Where training starts: the current model's checkpoint (the registry's, else the one
    shipped in its folder, ``MODEL/checkpoint``) to fine-tune further (True), else its base
    model (False)."""
    for folder in (checkpoint, shipped):
        if folder is not None and (folder / "config.json").is_file():
            return str(folder), True
    config = meta.get("training_config") or {}
    base = str(config.get("base") or "minilm")
    resolved = _resolve(base)
    if resolved is not None:
        return str(resolved), False
    # A fine-tuned local base this machine lacks (a student's teacher run, say): start from the
    # pretrained encoder at the root of the recorded lineage instead.
    return _root_base(meta.get("base_model") or {}) or base, False


def student_args(
    config: dict[str, Any], from_checkpoint: bool, *, distress_rows: int = 0
) -> list[str]:
    """A distilled student is retrained as one: the same layers kept when it starts again from a
    base (a kept checkpoint has them already), and its teacher when this machine has that run
    (without it the student learns from the labels alone, and the gate decides). The distress
    research data, where it is here, is capped at ``distress_rows`` rows (0: all)."""
    args: list[str] = []
    if config.get("keep_layers") and not from_checkpoint:
        args += ["--keep-layers", str(config["keep_layers"])]
    teacher = _resolve(config.get("teacher"))
    if teacher is not None:
        args += ["--teacher", str(teacher)]
        if config.get("distill_weight") is not None:
            args += ["--distill-weight", str(config["distill_weight"])]
    # The distress head is kept by training itself (its base has one); the research data helps
    # where this machine has it, and the embedding stays close to the pretrained encoder's.
    distress = _resolve(config.get("distress_data"))
    if distress is not None:
        args += ["--distress-data", str(distress)]
        if distress_rows:
            args += ["--distress-rows", str(distress_rows)]
    if config.get("embed_teacher"):
        args += ["--embed-teacher", str(config["embed_teacher"])]
    return args


class Retrainer:
    """See the module doc. ``serving_dir`` returns the folder of the model that serves now."""

    def __init__(
        self,
        *,
        store: MessageStore,
        registry: ModelRegistry,
        options: RetrainOptions,
        serving_dir: Callable[[], Path],
        clock: Callable[[], datetime] = utcnow,
        db: Callable[..., Awaitable[Any]] = _to_thread,
    ) -> None:
        self.store = store
        self.registry = registry
        self.options = options
        self.serving_dir = serving_dir
        self.clock = clock
        self.db = db
        self.sweep_leftovers()

    # --- the run --------------------------------------------------------------------------------

    async def run(self, *, trigger: str, force: bool = False) -> RetrainOutcome:
        """One retraining run; never raises (except a cancellation), always recorded."""
        started = self.clock()
        t0 = time.perf_counter()
        details: dict[str, Any] = {"trigger": trigger}
        with self.registry.training_lock() as got:
            if not got:
                outcome = RetrainOutcome("skipped", "another retraining run is in progress")
            else:
                try:
                    outcome = await self._run(details, force=force)
                except RetrainFailure as exc:
                    outcome = RetrainOutcome("failed", str(exc))
                    details["failure"] = exc.kind
                except (asyncio.CancelledError, KeyboardInterrupt):
                    self._cleanup(details)
                    raise
                except Exception as exc:
                    logger.exception("retraining failed unexpectedly")
                    failure = RetrainFailure("error", problem=f"{type(exc).__name__}: {exc}")
                    outcome = RetrainOutcome("failed", str(failure))
                    details["failure"] = "error"
                await asyncio.to_thread(self._cleanup, details)  # large files: off the loop
        details.update(outcome.details)
        details["reason"] = outcome.reason
        details["duration_s"] = round(time.perf_counter() - t0, 1)
        outcome.details = details
        if outcome.status == "failed":
            self._queue_notice(details)
        elif outcome.status in ("promoted", "rejected"):
            self.registry.update_state(last_failure=None)
        try:
            await self.db(
                self.store.record_job_run,
                JOB_NAME,
                started_at=started,
                finished_at=self.clock(),
                status=outcome.status,
                details=details,
            )
        except Exception:
            logger.exception("could not record the retraining run")
        logger.info("retraining %s: %s", outcome.status, outcome.reason)
        return outcome

    async def _run(self, details: dict[str, Any], *, force: bool) -> RetrainOutcome:
        opts = self.options
        current_dir = self.serving_dir()
        current = read_artifact(current_dir)
        entry = self._entry_for(current_dir, current)
        details["current"] = {"version": current.version, "path": str(current_dir)}
        collected_at = self.clock()
        labels = await self.db(self.store.labels)
        try:
            suffix = data_suffix(current.scheme)
        except UnsupportedScheme as exc:
            raise RetrainFailure("scheme", problem=str(exc)) from exc
        examples, dropped = examples_from(labels, current.scheme)
        cut = entry.labels_cut
        new = [e for e in examples if cut is None or e.labelled_at >= cut]
        counts = {
            "labels": len(labels),
            "dropped": dropped,
            "examples": len(examples),
            "new": len(new),
        }
        details["data"] = counts
        skip = self._skip_reason(new, current.version, force)
        if skip:
            return RetrainOutcome("skipped", skip)

        base, from_checkpoint = retrain_base(
            entry.checkpoint_dir, current.meta, current.folder / "checkpoint"
        )
        train_all, held = holdout_split(examples, opts.holdout, opts.min_holdout)
        fresh = {e.key for e in new}
        train = [e for e in train_all if not from_checkpoint or e.key in fresh]
        if len(held) < opts.min_holdout:  # --force too: a gate on 2 messages judges nothing
            counts.update(holdout=len(held))
            return RetrainOutcome(
                "skipped",
                f"only {len(held)} of {len(examples)} labelled messages can be held out to judge "
                f"a new model, fewer than the {opts.min_holdout} needed (RETRAIN_MIN_HOLDOUT); "
                f"label at least {2 * opts.min_holdout} messages in all",
            )
        if not train:
            return RetrainOutcome("skipped", "too few labelled messages to train and hold out")
        original = _resolve(opts.data) or _resolve(_meta_data(current.meta))
        if original is None:
            raise RetrainFailure("no_data")
        self._check_disk()

        run = self.registry.new_run_dir(collected_at.strftime("%Y%m%d-%H%M%S"))
        details["run_dir"] = str(run)
        extra = run / f"extra{suffix}"
        holdout_file = run / f"community-holdout{suffix}"
        write_examples(extra, train, current.scheme)
        write_examples(holdout_file, held, current.scheme)
        replay = max(opts.replay_min, int(opts.replay_ratio * len(train)))
        mix = {"replay": replay, "repeat": opts.repeat, "seed": opts.seed}
        (run / "extra.json").write_text(json.dumps(mix) + "\n", encoding="utf-8")
        examples_of = getattr(self.store, "exemplars", None)  # moderators', from reviewed flags
        counts["exemplars"] = exemplars.write_file(
            run, await self.db(examples_of.every) if examples_of is not None else []
        )
        counts.update(
            train=len(train), holdout=len(held), replay_requested=replay, repeat=opts.repeat
        )
        details["base"] = {"path": base, "from_checkpoint": from_checkpoint}
        self.registry.update_state(
            last_attempt={"model": current.version, "at": collected_at.isoformat()}
        )

        trained = await self._train(run, original, base, from_checkpoint, extra, current, details)
        candidate_dir = run / "candidate"
        await asyncio.to_thread(exemplars.strip_from_candidate, candidate_dir, run)
        await self._check_loadable(candidate_dir)
        gate = await self._gate(run, candidate_dir, current_dir, original, holdout_file, details)
        details["gate"] = gate
        details["peak_rss_mb"] = trained.peak_rss_mb
        if gate.get("parity_failed"):
            raise RetrainFailure("parity")
        if gate["decision"] != "promote":
            return RetrainOutcome("rejected", "; ".join(gate["reasons"]))
        promoted = await self._promote(run, candidate_dir, collected_at, gate)
        details["candidate"] = {"version": promoted.version, "path": promoted.path}
        return RetrainOutcome("promoted", "; ".join(gate["reasons"]), entry=promoted)

    # --- steps ----------------------------------------------------------------------------------

    def _entry_for(self, folder: Path, artifact: ModelArtifact) -> ModelEntry:
        entry = self.registry.current()
        if entry is not None and entry.version == artifact.version:
            return entry
        return self.registry.ensure_external(folder)

    def _skip_reason(self, new: list[Example], version: str, force: bool) -> str | None:
        opts = self.options
        if force:
            return None if new else "no new labelled messages since the current model"
        if len(new) < opts.min_labels:
            return f"{len(new)} new labelled messages, fewer than the {opts.min_labels} needed"
        last = self.registry.state().get("last_attempt") or {}
        if last.get("model") == version and last.get("at"):
            since = datetime.fromisoformat(last["at"])
            newer = sum(1 for e in new if e.labelled_at >= since)
            if newer < opts.min_new_after_attempt:
                return (
                    f"{newer} labelled messages since the last attempt on this model, fewer "
                    f"than the {opts.min_new_after_attempt} needed to try again"
                )
        return None

    def _check_disk(self) -> None:
        self.registry.root.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(self.registry.root).free / 2**30
        if free < self.options.min_free_gb:
            raise RetrainFailure("disk", free=free, need=self.options.min_free_gb)

    async def _train(
        self,
        run: Path,
        original: Path,
        base: str,
        from_checkpoint: bool,
        extra: Path,
        current: ModelArtifact,
        details: dict[str, Any],
    ) -> ProcessResult:
        opts = self.options
        config = current.meta.get("training_config") or {}
        command = [
            *opts.train_cmd,
            "fit",
            "--data",
            str(original),
            "--base",
            base,
            "--extra-train",
            str(extra),
            "--out",
            str(run / "train"),
            "--model-out",
            str(run / "candidate"),
            "--epochs",
            str(opts.epochs),
            "--lr",
            str(opts.lr),
            "--threads",
            str(opts.torch_threads),
            "--seed",
            str(opts.seed),
            "--train-layers",
            opts.layers,
        ]
        for key in ("max_length", "batch_size"):
            if config.get(key):
                command += [f"--{key.replace('_', '-')}", str(config[key])]
        if from_checkpoint:
            command.append("--no-prior-bias-init")  # keep the trained head's biases
        command += student_args(config, from_checkpoint, distress_rows=opts.distress_rows)
        command += exemplars.train_args(run)
        variant = (current.meta.get("quantization") or {}).get("variant")
        if isinstance(variant, str) and variant:
            command += ["--only-variant", variant]  # the serving model's; measuring all is slow
        command += list(opts.extra_args)
        result = await run_logged(
            command,
            log=run / "train.log",
            timeout_s=opts.timeout_s,
            niceness=opts.nice,
            threads=opts.torch_threads,
        )
        details["train"] = {
            "seconds": result.seconds,
            "returncode": result.returncode,
            "peak_rss_mb": result.peak_rss_mb,
            "log": str(result.log),
        }
        if result.timed_out:
            raise RetrainFailure("timeout", minutes=opts.timeout_s / 60)
        if not result.ok:
            details["train"]["tail"] = result.tail()
            raise RetrainFailure("crash", code=result.returncode)
        return result

    async def _check_loadable(self, folder: Path) -> None:
        try:
            model = await asyncio.to_thread(classifier.load, folder, threads=1)
        except classifier.ModelLoadError as exc:
            raise RetrainFailure("corrupt", problem=exc.problem) from exc
        del model

    async def _gate(
        self,
        run: Path,
        candidate: Path,
        current: Path,
        original: Path,
        holdout: Path,
        details: dict[str, Any],
    ) -> dict[str, Any]:
        opts = self.options
        report = run / "gate.json"
        command = [
            *opts.gate_cmd,
            "--candidate",
            str(candidate),
            "--current",
            str(current),
            "--data",
            str(original),
            "--community",
            str(holdout),
            "--out",
            str(report),
            "--tolerance",
            str(opts.tolerance),
            "--min-gain",
            str(opts.min_gain),
            "--min-parity",
            str(opts.min_parity),
            "--max-examples",
            str(opts.gate_max_examples),
            "--threads",
            str(opts.torch_threads),
        ]
        result = await run_logged(
            command,
            log=run / "gate.log",
            timeout_s=opts.timeout_s,
            niceness=opts.nice,
            threads=opts.torch_threads,
        )
        details["gate_run"] = {"seconds": result.seconds, "returncode": result.returncode}
        if not result.ok or not report.is_file():
            details["gate_run"]["tail"] = result.tail()
            raise RetrainFailure("gate", code=result.returncode)
        data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
        return data

    async def _promote(
        self, run: Path, candidate: Path, labels_until: datetime, gate: dict[str, Any]
    ) -> ModelEntry:
        metrics = {
            "gate": {k: gate["candidate"][k] for k in ("original", "community")},
            "replaced": {
                "version": gate["current"]["version"],
                **{k: gate["current"][k] for k in ("original", "community")},
            },
        }
        entry = await asyncio.to_thread(
            self.registry.add,
            candidate,
            checkpoint=run / "train" / "checkpoint",
            labels_until=labels_until,
            metrics=metrics,
        )
        serving = self.serving_dir()
        await asyncio.to_thread(self.registry.promote, entry.version, serving=serving)
        try:
            await self.db(
                self.store.record_model_version, entry.version, path=entry.path, metrics=metrics
            )
        except Exception:
            logger.exception("could not record model version %s", entry.version)
        return entry

    # --- bookkeeping ----------------------------------------------------------------------------

    def sweep_leftovers(self) -> int:
        """Delete the texts (and bulky files) of runs that never reached their cleanup (the bot
        was killed mid-run); skipped while another process holds the training lock. Returns how
        many run folders held texts."""
        try:
            with self.registry.training_lock() as got:
                return self._sweep_runs() if got else 0
        except OSError:
            logger.exception("could not sweep the files of old retraining runs")
            return 0

    def _sweep_runs(self) -> int:
        """Call with the training lock held: then no run in progress owns any of these files."""
        swept = 0
        for run in sorted((self.registry.root / RUNS_DIR).glob("*")):
            texts = [p for pattern in TEXT_FILES for p in run.glob(pattern)]
            for path in texts:
                path.unlink(missing_ok=True)
            for name in ("train", "candidate"):
                shutil.rmtree(run / name, ignore_errors=True)
            swept += bool(texts)
        if swept:
            logger.info("deleted the labelled texts left by %d interrupted run(s)", swept)
        return swept

    def _cleanup(self, details: dict[str, Any]) -> None:
        """Delete the texts written for the trainer and the bulky intermediate files (this run's
        and any an interrupted run left); keep logs and the gate report of the last few runs."""
        self._sweep_runs()
        runs = sorted((self.registry.root / RUNS_DIR).glob("*"))
        for old in runs[:-KEEP_RUNS]:
            shutil.rmtree(old, ignore_errors=True)

    def _queue_notice(self, details: dict[str, Any]) -> None:
        """Queue one notice for the moderators, unless the last run failed the same way."""
        kind = details.get("failure", "error")
        state = self.registry.state()
        if state.get("last_failure") == kind:
            logger.info("retraining failed again (%s): moderators were already told", kind)
            return
        notices = list(state.get("notices") or [])
        notices.append(
            {
                "created": self.clock().isoformat(),
                "reason": details["reason"],
                "version": (details.get("current") or {}).get("version", "?"),
                "log": (details.get("train") or {}).get("log") or details.get("run_dir") or "-",
                "posted": False,
            }
        )
        self.registry.update_state(last_failure=kind, notices=notices[-MAX_NOTICES:])


def _meta_data(meta: dict[str, Any]) -> str | None:
    config = meta.get("training_config") or {}
    return config.get("data") or (meta.get("data") or {}).get("source")


def notice_card(notice: dict[str, Any]) -> Card:
    """The moderators' card for a queued failure notice."""
    return Card(
        title=strings.RETRAIN_FAILED_TITLE,
        body=strings.RETRAIN_FAILED_BODY.format(
            reason=notice["reason"], version=notice["version"], log=notice["log"]
        ),
        color="warning",
        footer=strings.RETRAIN_FAILED_FOOTER,
    )


def take_notices(registry: ModelRegistry) -> list[dict[str, Any]]:
    """Notices not posted yet, marked as posted (the caller posts them)."""
    state = registry.state()
    notices = list(state.get("notices") or [])
    pending = [n for n in notices if not n.get("posted")]
    if pending:
        for n in notices:
            n["posted"] = True
        registry.update_state(notices=notices)
    return pending
