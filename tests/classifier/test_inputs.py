"""Messages as people write them: every input gets a defined answer, none crashes the classifier."""

from __future__ import annotations

from pathlib import Path

import pytest

import classifier
from classifier.textprep import prepare

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def multi(goemotions_run: Path) -> classifier.EmotionClassifier:
    return classifier.load(goemotions_run / "model", threads=1)


@pytest.fixture(scope="module")
def single(emotion_run: Path) -> classifier.EmotionClassifier:
    return classifier.load(emotion_run / "model", threads=1)


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", "```\nprint('hi')\n```", "`x = 1`"])
def test_empty_gets_neutral_without_running_the_model(
    multi: classifier.EmotionClassifier, text: str
) -> None:
    pred = multi.predict([text])[0]
    assert pred.note == "empty"
    assert pred.label == "neutral" and pred.scores["neutral"] == 1.0
    assert pred.labels == ("neutral",)


def test_empty_without_a_neutral_label_is_uniform(single: classifier.EmotionClassifier) -> None:
    pred = single.predict([""])[0]
    assert pred.note == "empty"
    assert len(set(pred.scores.values())) == 1
    assert pred.labels == (pred.label,)


def test_odd_inputs_each_get_one_prediction(multi: classifier.EmotionClassifier) -> None:
    texts = [
        "😭😭😭",
        "🎉",
        "look at https://example.com/a?b=c#d now",
        "<@U024BE7LH> thanks!! <#C123|general>",
        "@here furious",
        "je suis très fatigué aujourd'hui",
        "今日はとても悲しい",
        "bad \udc80 surrogate",
        "x" * 20,
        "word " * 1500,
    ]
    preds = multi.predict(texts)
    assert len(preds) == len(texts)
    for pred in preds:
        assert pred.label in multi.scheme.labels
        assert set(pred.scores) == set(multi.scheme.labels)
        assert all(0.0 <= s <= 1.0 for s in pred.scores.values())
        assert pred.labels
    notes = [p.note for p in preds]
    assert notes[7] == "invalid_text"
    assert notes[9] == "long"
    assert notes[0] is None  # emoji are described in words, not dropped


def test_long_text_is_averaged_over_windows_not_cut(multi: classifier.EmotionClassifier) -> None:
    """A clear emotion at the end of a long text still counts (a plain cut would drop it)."""
    head = "hmm " * 600
    tail = "furious today " * 100
    long_pred = multi.predict([head + tail])[0]
    head_pred = multi.predict([head])[0]
    assert long_pred.note == "long"
    assert long_pred.scores["anger"] > head_pred.scores["anger"]


def test_non_strings_and_order(multi: classifier.EmotionClassifier) -> None:
    preds = multi.predict([None, 42, "furious today"])  # type: ignore[list-item]
    assert preds[0].note == "empty"
    assert preds[2].label == "anger"
    with pytest.raises(TypeError):
        multi.predict("a bare string")  # type: ignore[arg-type]


def test_batching_does_not_change_scores(goemotions_run: Path) -> None:
    texts = ["furious today", "glad again and thanks", "terrified", "the the the"] * 5
    one = classifier.load(goemotions_run / "model", batch_size=1).scores(texts)
    many = classifier.load(goemotions_run / "model", batch_size=32).scores(texts)
    # Dynamic int8 quantisation scales activations per batch, so padding neighbours move scores a
    # little; the answer must not change.
    assert abs(one - many).max() < 1e-2
    assert (one.argmax(1) == many.argmax(1)).all()


def test_prepare_rules() -> None:
    assert prepare("hi <@123456> see https://x.y/z").text == "hi [NAME] see link"
    assert prepare("😢", frozenset()).text == "crying face"
    assert prepare("a\udc80b").invalid
    assert prepare("```code```").text == ""
