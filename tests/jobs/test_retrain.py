"""Retraining end to end with a tiny real model: labels in the database make the job train
(``python -m train`` as a real child process), evaluate (``python -m train.gate``), decide, and
swap a better model into a running service while messages keep flowing. A worse candidate is
rejected and recorded; a crash, a corrupt export, a parity failure and a full disk leave the old
model serving and are reported to the moderators once."""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import classifier
from bot.core.events import ChannelRef, ChatMessage, CommunityRef, UserRef
from bot.core.options import CoreOptions
from bot.core.records import HumanLabel
from bot.core.service import EmotionService
from bot.jobs.options import JobOptions, RetrainOptions
from bot.jobs.runtime import JobRuntime
from bot.modelstore.registry import ModelRegistry
from bot.storage.tables import JobRun, ModelVersion
from classifier.artifact import write_json
from tests.jobs.conftest import RecordingNotifier, current_of
from tests.train.tinydata import FILLERS

pytestmark = pytest.mark.slow

COMMUNITY = CommunityRef("test", "guild1", "Guild")
GENERAL = ChannelRef(COMMUNITY, "general", "general")
# Slang the tiny model never saw, for emotions it knows ("glad", "furious", ...).
SLANG = {
    "joy": "stoked",
    "anger": "livid",
    "sadness": "gutted",
    "fear": "petrified",
    "gratitude": "cheers",
}


def add_labels(store, n: int = 80, *, start: datetime | None = None) -> None:
    rng = random.Random(0)
    t0 = start or datetime.now(UTC) - timedelta(days=1)
    emotions = list(SLANG)
    for i in range(n):
        emotion = emotions[i % len(emotions)]
        store.add_label(
            HumanLabel(
                platform="test",
                community_id=COMMUNITY.id,
                text=f"{SLANG[emotion]} {rng.choice(FILLERS)} {i}",
                emotion=emotion,
                labelled_by=f"u{i % 7}",
                labelled_at=t0 + timedelta(seconds=i),
                message_id=f"l{i}",
            )
        )


def retrain_options(**changes) -> RetrainOptions:
    base = RetrainOptions(
        min_labels=40,
        replay_min=200,
        replay_ratio=2,
        repeat=3,
        epochs=2,
        lr=3e-3,
        threads=1,
        tolerance=0.05,
        extra_args=("--batch-size", "16"),
        timeout_s=300,
    )
    return replace(base, **changes)


@pytest.fixture
async def running(
    store, goemotions_run: Path, goemotions_data: Path, notifier, tmp_path: Path
) -> AsyncIterator[JobRuntime]:
    """A running service on the tiny model, and its job runtime (store under tmp_path)."""
    model_dir = goemotions_run / "model"
    service = EmotionService(
        store=store,
        classifier=classifier.load(model_dir, threads=1),
        options=CoreOptions(store_retry_delay_s=0.01),
    )
    runtime = JobRuntime(
        service=service,
        options=JobOptions(
            models_store=tmp_path / "models-store",
            retrain=retrain_options(data=str(goemotions_data)),
            classifier_threads=1,
        ),
        default_model_dir=model_dir,
        notifiers={"test": notifier},
        communities=lambda: [COMMUNITY],
    )
    yield runtime
    await service.aclose()


def set_retrain(runtime: JobRuntime, **changes) -> None:
    runtime.options = replace(runtime.options, retrain=replace(runtime.options.retrain, **changes))


def job_runs(store) -> list[JobRun]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(JobRun).order_by(JobRun.id)).all())


class Flow:
    """Members keep writing while the job runs: one message every 20 ms."""

    def __init__(self, service: EmotionService) -> None:
        self.service = service
        self.sent = 0
        self.versions: list[str] = []
        self._stop = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self._stop.is_set():
            self.sent += 1
            self.versions.append(self.service.classifier.version)
            msg = ChatMessage(
                f"flow-{self.sent}",
                GENERAL,
                UserRef("test", f"m{self.sent % 5}"),
                f"glad {FILLERS[self.sent % len(FILLERS)]}",
                datetime.now(UTC),
            )
            await self.service.on_message(msg)
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        self._stop.set()
        await self.task


async def test_rejects_a_worse_candidate_then_swaps_a_better_one_in(running, store) -> None:
    service = running.service
    old = service.classifier.version
    add_labels(store)

    # 1. A gate no candidate can pass (it would have to beat the current model by 100 points).
    set_retrain(running, min_gain=1.0)
    rejected = await running.retrain(trigger="weekly")
    assert rejected.status == "rejected", rejected.reason
    assert "community slice" in rejected.reason
    assert service.classifier.version == old
    assert ModelRegistry(running.options.models_store).current() is None
    gate = rejected.details["gate"]
    assert gate["candidate"]["community"]["n"] == rejected.details["data"]["holdout"] > 0
    assert rejected.details["data"]["train"] + rejected.details["data"]["holdout"] == 80

    # 2. Nothing new since that attempt: the weekly job does not train the same data again.
    again = await running.retrain(trigger="weekly")
    assert again.status == "skipped" and "since the last attempt" in again.reason

    # 3. A normal gate, with messages flowing all along: the better candidate is swapped in.
    slang = "stoked right now"
    old_joy = (await asyncio.to_thread(service.classifier.predict, [slang]))[0].scores["joy"]
    set_retrain(running, min_gain=0.0)
    flow = Flow(service)
    await asyncio.sleep(0.2)
    promoted = await running.retrain(trigger="now", force=True)
    await asyncio.sleep(0.2)
    await flow.stop()
    assert promoted.status == "promoted", promoted.reason
    new = service.classifier.version
    assert new != old and promoted.entry is not None and new == promoted.entry.version
    cand, cur = promoted.details["gate"]["candidate"], promoted.details["gate"]["current"]
    assert cand["community"]["top1_accuracy"] > cur["community"]["top1_accuracy"]
    # Every message was answered and stored; the swap happened while they flowed.
    stored = store.messages(
        platform="test", community_id=COMMUNITY.id, since=datetime.now(UTC) - timedelta(hours=1)
    )
    assert len(stored) == flow.sent and service.pending == 0
    assert {r.model_version for r in stored} == {old, new}
    assert flow.versions[0] == old and flow.versions[-1] == new
    # The new model reads the community's slang closer to how people labelled it (a tiny model's
    # top label is not stable across machines; the direction is).
    prediction = (await asyncio.to_thread(service.classifier.predict, [slang]))[0]
    assert prediction.scores["joy"] > old_joy

    runs = job_runs(store)
    assert [r.status for r in runs] == ["rejected", "skipped", "promoted"]
    for run in (runs[0], runs[2]):
        details = run.details
        assert {"current", "candidate"} <= set(details["gate"])
        assert details["duration_s"] > 0 and details["data"]["new"] == 80
    with store.engine.connect() as conn:
        versions = conn.execute(select(ModelVersion.version)).scalars().all()
    assert new in versions
    registry = ModelRegistry(running.options.models_store)
    assert current_of(registry).version == new
    assert registry.history() == [old, new]
    assert current_of(registry).checkpoint_dir == registry.root / new / "checkpoint"
    assert (registry.root / new / "checkpoint" / "config.json").is_file()
    # The texts written for the trainer are gone; logs and the gate report stay.
    run_dir = Path(runs[2].details["run_dir"])
    assert sorted(p.name for p in run_dir.iterdir()) == ["gate.json", "gate.log", "train.log"]


async def test_a_crash_leaves_the_old_model_serving_and_is_reported_once(
    running, store, notifier: RecordingNotifier
) -> None:
    add_labels(store)
    old = running.service.classifier.version
    set_retrain(running, extra_args=("--base", "/nonexistent/base-model"))
    first = await running.retrain(trigger="weekly")
    assert first.status == "failed" and "exit status" in first.reason
    assert running.service.classifier.version == old
    assert notifier.titles() == ["Model retraining failed"]
    assert "keeps serving" in notifier.posts[0][1].body
    second = await running.retrain(trigger="now", force=True)
    assert second.status == "failed"
    assert len(notifier.posts) == 1  # the same failure again: moderators were already told
    runs = job_runs(store)
    assert [r.status for r in runs] == ["failed", "failed"]
    assert runs[0].details["failure"] == "crash"
    assert "nonexistent" in runs[0].details["train"]["tail"]
    assert ModelRegistry(running.options.models_store).current() is None


FAKE_TRAINER = """
import json, shutil, sys
from pathlib import Path
args = sys.argv[1:]
out = Path(args[args.index("--model-out") + 1])
current = Path({current!r})
mode = {mode!r}
if mode == "corrupt":
    out.mkdir(parents=True)
    for name in ("tokenizer.json", "labels.json", "meta.json"):
        shutil.copy(current / name, out / name)
    (out / "model.onnx").write_bytes(b"not a model" * 200)
else:  # parity: a loadable model whose int8 export disagrees with PyTorch
    shutil.copytree(current, out)
    meta = json.loads((out / "meta.json").read_text())
    meta["version"] = "bad-parity-1"
    meta["parity"] = {{"chosen": "u8s8", "u8s8": {{"argmax_agreement": 0.6}}}}
    (out / "meta.json").write_text(json.dumps(meta))
"""


@pytest.mark.parametrize("mode,failure", [("corrupt", "corrupt"), ("parity", "parity")])
async def test_a_broken_candidate_is_never_served(
    running, store, notifier: RecordingNotifier, tmp_path: Path, mode: str, failure: str
) -> None:
    add_labels(store)
    script = tmp_path / "fake_train.py"
    script.write_text(
        textwrap.dedent(FAKE_TRAINER.format(current=str(running.default_model_dir), mode=mode))
    )
    set_retrain(running, train_command=(sys.executable, str(script)))
    old = running.service.classifier.version
    outcome = await running.retrain(trigger="now")
    assert outcome.status == "failed", outcome.reason
    assert outcome.details["failure"] == failure
    assert running.service.classifier.version == old
    assert len(notifier.posts) == 1
    if mode == "corrupt":
        assert "could not be loaded" in outcome.reason
    else:
        assert outcome.details["gate"]["parity_failed"] is True


async def test_out_of_disk_is_reported_without_training(running, store, notifier) -> None:
    add_labels(store)
    set_retrain(running, min_free_gb=1e9)
    outcome = await running.retrain(trigger="now")
    assert outcome.status == "failed" and "disk" in outcome.reason
    assert "run_dir" not in outcome.details
    assert len(notifier.posts) == 1


async def test_too_few_labels_skip_quietly(running, store, notifier) -> None:
    add_labels(store, n=10)
    outcome = await running.retrain(trigger="weekly")
    assert outcome.status == "skipped" and "fewer than the 40 needed" in outcome.reason
    assert notifier.posts == []
    assert [r.status for r in job_runs(store)] == ["skipped"]


async def test_model_watch_follows_a_promotion_from_the_command_line(
    running, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(running.default_model_dir, copy)
    meta = json.loads((copy / "meta.json").read_text())
    write_json(copy / "meta.json", {**meta, "version": "hand-promoted-2"})
    registry = ModelRegistry(running.options.models_store)  # as `emotion-bot models promote`
    registry.promote(registry.ensure_external(copy).version, serving=running.default_model_dir)
    assert await running.sync_model() is True
    assert running.service.classifier.version == "hand-promoted-2"
    assert await running.sync_model() is False
    registry.rollback()
    assert await running.sync_model() is True
    assert running.service.classifier.version == meta["version"]


def test_the_bot_side_never_imports_torch_or_train() -> None:
    code = (
        "import sys, bot.jobs, bot.cli, bot.app, bot.modelstore.registry\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'train', "
        "'transformers'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
