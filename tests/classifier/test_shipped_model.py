"""The model in models/ loads on a fresh clone and reads clear sentences the way a person would."""

from __future__ import annotations

import json

import pytest

import classifier
from bot.config import DEFAULT_MODEL_DIR

CLEAR = {
    "thank you so much for helping me with this": "gratitude",
    "I'm terrified of the surgery tomorrow": "fear",
    "lol that is hilarious": "amusement",
    "I love you all so much": "love",
    "my dog died this morning and I can't stop crying": "sadness",
    "why does this keep happening? what am I missing?": "curiosity",
    "this is absolutely disgusting, how could they": "disgust",
}


@pytest.fixture(scope="module")
def shipped() -> classifier.EmotionClassifier:
    return classifier.load(DEFAULT_MODEL_DIR, threads=1)


def test_metadata_travels_with_the_model(shipped: classifier.EmotionClassifier) -> None:
    meta = json.loads((DEFAULT_MODEL_DIR / "meta.json").read_text())
    assert shipped.scheme.name == "goemotions" and len(shipped.scheme.labels) == 28
    assert shipped.scheme.multi_label
    assert set(meta["thresholds"]) == set(shipped.scheme.labels)
    assert meta["metrics"]["validation"]["macro_f1_tuned"] > 0.46
    assert meta["metrics"]["validation"]["ekman_macro_f1"] >= 0.62
    assert meta["parity"]["int8_vs_fp32"]["argmax_agreement"] >= 0.99
    root = meta["base_model"]  # a distilled student names the checkpoint it was cut from
    while "fine_tuned_from" in root:
        root = root["fine_tuned_from"]
    assert root["name"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert (DEFAULT_MODEL_DIR / "README.md").read_text().startswith(f"# {shipped.version}")


def test_clear_sentences(shipped: classifier.EmotionClassifier) -> None:
    preds = shipped.predict(list(CLEAR))
    got = {text: pred.label for text, pred in zip(CLEAR, preds, strict=True)}
    assert got == CLEAR
    assert all(p.model_version == shipped.version for p in preds)


def test_neutral_and_families(shipped: classifier.EmotionClassifier) -> None:
    ok, thanks = shipped.predict(["the meeting is at 3pm in room 4", "thanks, that helped a lot"])
    assert ok.label == "neutral"
    assert shipped.scheme.family[thanks.label] == "positive"
