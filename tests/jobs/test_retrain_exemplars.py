"""The communities' exemplars in a retraining run: written to the run folder in the trainer's own
format (train.exemplars reads it back), passed as ``--extra-exemplars``, deleted with the run's
other texts, and taken out of the candidate's matcher again (a model folder outlives the run and
serves every community)."""

from __future__ import annotations

import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bot.config import DEFAULT_MODEL_DIR
from bot.core.distress.community import CommunityExemplar
from bot.core.records import HumanLabel
from bot.jobs import exemplars
from bot.jobs.options import RetrainOptions
from bot.jobs.retrain import Retrainer
from bot.modelstore.registry import ModelRegistry
from classifier.exemplars import EXEMPLAR_TEXTS_FILE, ExemplarMatcher
from train.exemplars import load_exemplars

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def example(i: int, kind: str, category: str, text: str | None = None) -> CommunityExemplar:
    return CommunityExemplar(
        platform="test",
        community_id="g1",
        kind=kind,
        category=category,
        text=text or f"a generic reviewed message number {i}",
        author_id=f"a{i}",
        message_id=f"m{i}",
        added_by="mod",
        added_at=T0,
        model_version="m",
        embedding=np.ones(4, dtype=np.float32),
    )


ROWS = [
    example(1, "safe", "reviewed false alarm", 'a "quoted"\tword\nand a new line'),
    example(2, "risk", "burden"),
    example(3, "risk", "reviewed"),
]


def test_the_file_is_in_the_trainers_format_and_becomes_the_argument(tmp_path: Path) -> None:
    assert exemplars.train_args(tmp_path) == []
    assert exemplars.write_file(tmp_path, []) == 0
    assert exemplars.train_args(tmp_path) == []

    assert exemplars.write_file(tmp_path, ROWS) == 3
    path = tmp_path / exemplars.FILE_NAME
    assert exemplars.train_args(tmp_path) == ["--extra-exemplars", str(path)]
    read = [(e.kind, e.category, e.text) for e in load_exemplars(path)]
    assert read == [
        ("safe", "everyday_negative", 'a "quoted" word and a new line'),
        ("risk", "burden", "a generic reviewed message number 2"),
        ("risk", "nonspecific", "a generic reviewed message number 3"),
    ]


def test_they_are_taken_out_of_the_candidates_matcher(tmp_path: Path) -> None:
    run, candidate = tmp_path, tmp_path / "candidate"
    candidate.mkdir()
    exemplars.write_file(run, ROWS[1:])
    # As calibration writes them: the model's own exemplars, then the extra ones.
    own = [("risk", "plan", "a project line"), ("safe", "news", 'a "news" line')]
    extra = [(e.kind, e.category, e.text) for e in ROWS[1:]]
    ExemplarMatcher(
        np.eye(4, dtype=np.float32), [k for k, _, _ in own + extra], [c for _, c, _ in own + extra]
    ).save(candidate)
    lines = ["kind\tcategory\ttext", *("\t".join(r) for r in own), *("\t".join(r) for r in extra)]
    (candidate / EXEMPLAR_TEXTS_FILE).write_text(
        "\n".join(lines).replace('"', '\\"') + "\n", encoding="utf-8"
    )

    assert exemplars.strip_from_candidate(candidate, run) == 2
    left = ExemplarMatcher.load(candidate)
    assert left is not None and left.kinds == ["risk", "safe"]
    np.testing.assert_array_equal(left.embeddings, np.eye(4, dtype=np.float32)[:2])
    text = (candidate / EXEMPLAR_TEXTS_FILE).read_text(encoding="utf-8")
    assert "generic reviewed" not in text and "a project line" in text
    assert exemplars.strip_from_candidate(candidate, run) == 0


FAKE_TRAINER = """
import shutil, sys
from pathlib import Path
args = sys.argv[1:]
Path({argv!r}).write_text("\\n".join(args))
if "--extra-exemplars" in args:
    shutil.copy(args[args.index("--extra-exemplars") + 1], {copy!r})
sys.exit(3)
"""


@pytest.mark.slow
async def test_a_run_passes_them_to_the_trainer_and_deletes_them(store, tmp_path: Path) -> None:
    for e in ROWS:
        assert store.exemplars.add(e) is not None
    for i in range(40):
        emotion = ("joy", "anger", "sadness", "fear", "gratitude")[i % 5]
        store.add_label(
            HumanLabel(
                platform="test",
                community_id="g1",
                text=f"an ordinary labelled line {i}",
                emotion=emotion,
                labelled_by=f"u{i % 7}",
                labelled_at=T0 + timedelta(seconds=i),
                message_id=f"l{i}",
            )
        )
    data = tmp_path / "data.tsv"
    data.write_text("unused by the fake trainer\n")
    argv, copy = tmp_path / "argv.txt", tmp_path / "seen-exemplars.tsv"
    script = tmp_path / "fake_train.py"
    script.write_text(textwrap.dedent(FAKE_TRAINER.format(argv=str(argv), copy=str(copy))))
    retrainer = Retrainer(
        store=store,
        registry=ModelRegistry(tmp_path / "models-store"),
        options=RetrainOptions(
            min_labels=1,
            min_holdout=2,
            min_free_gb=0.0,
            data=str(data),
            train_command=(sys.executable, str(script)),
            timeout_s=120,
        ),
        serving_dir=lambda: DEFAULT_MODEL_DIR,
    )
    outcome = await retrainer.run(trigger="now", force=True)
    assert outcome.status == "failed" and outcome.details["failure"] == "crash"
    assert outcome.details["data"]["exemplars"] == 3

    args = argv.read_text().split("\n")
    run = Path(outcome.details["run_dir"])
    assert args[args.index("--extra-exemplars") + 1] == str(run / exemplars.FILE_NAME)
    assert [e.text for e in load_exemplars(copy)] == [
        " ".join(e.text.split()) for e in ROWS
    ]  # every community's exemplars, as the trainer read them
    assert not (run / exemplars.FILE_NAME).exists()  # deleted with the run's other texts
    assert (run / "train.log").is_file()  # the run's log is kept
