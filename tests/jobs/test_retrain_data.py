"""Community labels -> training files the trainer reads (train.data's own readers), the stable
held-out slice, and the replay mix of ``--extra-train``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bot.core.records import HumanLabel
from bot.jobs.labels import data_suffix, examples_from, holdout_split, write_examples
from classifier.scheme import emotion_scheme, goemotions_scheme
from train.data import DataError, load_split
from train.retrain_data import read_extra, with_extra

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def label(
    i: int, emotion: str, *, text: str | None = None, msg: str | None = None, by: str = "u1"
) -> HumanLabel:
    return HumanLabel(
        platform="discord",
        community_id="g",
        text=text or f"message {i}",
        emotion=emotion,
        labelled_by=by,
        labelled_at=T0 + timedelta(minutes=i),
        message_id=msg if msg is not None else f"m{i}",
    )


def test_examples_group_labels_and_drop_unknown() -> None:
    labels = [
        label(1, "joy", msg="a", text="what a day\tof tabs\n"),
        label(2, "gratitude", msg="a", text="what a day\tof tabs\n", by="u2"),
        label(3, "joy", msg="a", text="what a day\tof tabs\n", by="u3"),
        label(4, "not-an-emotion"),
        label(5, "anger", text="   "),
        label(6, "sadness", msg=""),  # no message id: keyed by text
    ]
    multi, dropped = examples_from(labels, goemotions_scheme())
    assert dropped == 2
    by_text = {e.text: e for e in multi}
    assert by_text["what a day of tabs"].emotions == ("joy", "gratitude")  # union, commonest first
    assert by_text["message 6"].emotions == ("sadness",)
    single, _ = examples_from(
        [
            label(1, "joy", msg="a"),
            label(2, "anger", msg="a"),
            label(3, "anger", msg="a"),
            label(4, "joy", msg="a"),
        ],
        emotion_scheme(),
    )
    assert single[0].emotions == ("joy",)  # a tie goes to the latest label


def test_holdout_is_stable_as_labels_arrive() -> None:
    scheme = goemotions_scheme()
    first, _ = examples_from([label(i, "joy") for i in range(100)], scheme)
    more, _ = examples_from([label(i, "joy") for i in range(300)], scheme)
    _, held_first = holdout_split(first, 0.2, 10)
    train_more, held_more = holdout_split(more, 0.2, 10)
    assert 10 <= len(held_first) <= 35
    assert {e.key for e in held_first} <= {e.key for e in held_more}
    assert not {e.key for e in train_more} & {e.key for e in held_more}
    _, tiny = holdout_split(first[:8], 0.2, 10)
    assert len(tiny) == 4  # topped up, but never more than half


@pytest.mark.parametrize("scheme_fn", [goemotions_scheme, emotion_scheme])
def test_written_files_read_back_with_the_dataset_readers(tmp_path: Path, scheme_fn) -> None:
    scheme = scheme_fn()
    emotions = list(scheme.labels[:3])
    examples, _ = examples_from(
        [label(i, emotions[i % 3], text=f"text; number {i}") for i in range(12)], scheme
    )
    path = tmp_path / f"extra{data_suffix(scheme)}"
    assert write_examples(path, examples, scheme) == 12
    split = read_extra(path)
    assert split.scheme.labels == scheme.labels
    assert split.texts[4] == "text; number 4"
    gold = split.targets[4] if split.targets.ndim == 1 else split.targets[4].argmax()
    assert scheme.labels[int(gold)] == emotions[4 % 3]


def test_with_extra_mixes_a_replay_sample(goemotions_data: Path, tmp_path: Path) -> None:
    original = load_split(goemotions_data, "train")
    scheme = original.scheme
    examples, _ = examples_from([label(i, "joy", text=f"stoked {i}") for i in range(20)], scheme)
    extra = tmp_path / "extra.tsv"
    write_examples(extra, examples, scheme)
    whole = with_extra(original, extra)  # no sidecar: everything plus the extra examples
    assert len(whole) == len(original) + 20
    (tmp_path / "extra.json").write_text(json.dumps({"replay": 100, "repeat": 3, "seed": 1}))
    mixed = with_extra(original, extra)
    assert len(mixed) == 100 + 3 * 20
    assert sum(t.startswith("stoked") for t in mixed.texts) == 60
    replayed = set(mixed.texts[:100])
    assert replayed <= set(original.texts)
    again = with_extra(original, extra)
    assert again.texts == mixed.texts and np.array_equal(again.targets, mixed.targets)


def test_with_extra_refuses_another_scheme(goemotions_data: Path, tmp_path: Path) -> None:
    original = load_split(goemotions_data, "train")
    wrong = tmp_path / "extra.txt"  # dair-ai/emotion format for a GoEmotions split
    wrong.write_text("i feel fine;joy\n")
    with pytest.raises(DataError, match="emotion labels"):
        with_extra(original, wrong)


async def test_force_with_a_handful_of_labels_refuses_to_judge_on_two(store, tmp_path) -> None:
    # Issue 16, item 15: `retrain --force` with 5 labels trained for minutes and judged on 2.
    from bot.jobs.options import RetrainOptions
    from bot.jobs.retrain import Retrainer
    from bot.modelstore.registry import ModelRegistry

    model_dir = Path(__file__).resolve().parents[2] / "models" / "goemotions-minilm-int8"
    if not (model_dir / "meta.json").is_file():
        pytest.skip("the shipped model is not in models/")
    for i, emotion in enumerate(["joy", "anger", "sadness", "fear", "joy"]):
        store.add_label(label(i, emotion))
    registry = ModelRegistry(tmp_path / "models-store")
    retrainer = Retrainer(
        store=store,
        registry=registry,
        options=RetrainOptions(data=str(tmp_path / "no-data"), min_holdout=10),
        serving_dir=lambda: registry.current_dir(model_dir),
    )
    outcome = await retrainer.run(trigger="now", force=True)
    assert outcome.status == "skipped", outcome
    assert "only 2 of 5 labelled messages can be held out" in outcome.reason
    assert "fewer than the 10 needed (RETRAIN_MIN_HOLDOUT)" in outcome.reason
    assert "label at least 20 messages" in outcome.reason
    assert "run_dir" not in outcome.details
