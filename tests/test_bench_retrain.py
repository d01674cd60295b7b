"""The stand-in community of ``python -m bot.bench.retrain --community-data``: dair-ai/emotion
relabelled onto GoEmotions, with labels, bot load and held-out slice from separate splits."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

import classifier
from bot.bench.retrain import community_table, read_community
from bot.bench.retrain_gate import COMMUNITY_LABELS, community_slice, look
from train.data import load_split


def write_emotion(folder: Path) -> None:
    folder.mkdir()
    names = ("sadness", "joy", "love", "anger", "fear", "surprise")
    for split, n in (("train", 30), ("val", 12), ("test", 18)):
        lines = [f"{split} tweet {i} i feel things;{names[i % 6]}" for i in range(n)]
        (folder / f"{split}.txt").write_text("\n".join(lines) + "\n")


def test_community_labels_load_and_slice_come_from_separate_splits(tmp_path: Path) -> None:
    write_emotion(tmp_path / "emotion")
    labelled, load = read_community(tmp_path / "emotion", 10, random.Random(1))
    assert len(labelled) == 10 and all(t.startswith("train ") for t, _ in labelled)
    assert len(load) == 12 and all(t.startswith("val ") for t in load)
    goemotions = classifier.load(Path("models/goemotions-minilm-int8")).scheme.labels
    slice_ = community_slice(str(tmp_path / "emotion"), goemotions, 7)
    assert len(slice_) == 7 and all(t.startswith("test ") for t in slice_.texts)
    # each target is the GoEmotions index of the label dair-ai named
    assert [goemotions[int(i)] for i in slice_.targets] == [
        COMMUNITY_LABELS[i % 6] for i in range(7)
    ]


def test_look_scores_the_served_model_on_the_slice(tmp_path: Path) -> None:
    write_emotion(tmp_path / "emotion")
    model = classifier.load(Path("models/goemotions-minilm-int8"))
    slice_ = community_slice(str(tmp_path / "emotion"), model.scheme.labels, 18)
    goemotions = tmp_path / "goemotions"
    goemotions.mkdir()
    for split in ("train", "dev", "test"):
        rows = [f"{split} comment {i} thanks so much\t{i % 28}\tid{i}" for i in range(40)]
        (goemotions / f"{split}.tsv").write_text("\n".join(rows) + "\n")
    seen = look(model, slice_, load_split(str(goemotions), "dev"))
    top = model.scores(slice_.texts).argmax(axis=1)
    assert seen["community"]["top1_accuracy"] == pytest.approx(
        float(np.mean(top == slice_.targets))
    )
    assert 0.0 <= seen["goemotions_dev_macro_f1_tuned"] <= 1.0


def test_community_table_has_a_row_per_labelled_count() -> None:
    side = {
        "community": {"top1_accuracy": 0.5, "macro_f1": 0.25},
        "goemotions_dev_macro_f1_tuned": 0.5,
    }
    after = {
        "community": {"top1_accuracy": 0.75, "macro_f1": 0.5},
        "goemotions_dev_macro_f1_tuned": 0.49,
    }
    reports = [
        {
            "labels": n,
            "community": {"before": side, "after": after if n > 50 else None},
            "status": "promoted" if n > 50 else "failed",
            "wall_s": 1.0,
            "trainer_peak_rss_mb": 2.0,
            "latency": {"during": {"p50_ms": 3.0, "p99_ms": 4.0}},
        }
        for n in (50, 200)
    ]
    lines = community_table(reports).splitlines()
    assert len(lines) == 4
    assert "| 50 | 0.500 → - |" in lines[2]
    assert "| 200 | 0.500 → 0.750 | 0.250 → 0.500 | 0.500 → 0.490 | promoted |" in lines[3]
