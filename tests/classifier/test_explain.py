"""Word attributions: equal to a brute-force occlusion on a real (tiny) model, defined answers for
odd input, the word units and the refinement's fit."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

import classifier
from classifier.explain import MAX_WORDS, Explanation, Word, _fit, _masks, explain
from classifier.explain_words import drop, word_spans

pytestmark = pytest.mark.slow

MIXED = "i feel furious and glad today!! 😭 thanks <@U123> see https://x.example/a?b ok"
MIXED_WORDS = [
    "i",
    "feel",
    "furious",
    "and",
    "glad",
    "today",
    "!!",
    "😭",
    "thanks",
    "<@U123>",
    "see",
    "https://x.example/a?b",
    "ok",
]


@pytest.fixture(scope="module")
def multi(goemotions_run: Path) -> classifier.EmotionClassifier:
    return classifier.load(goemotions_run / "model", threads=1)


@pytest.fixture(scope="module")
def single(emotion_run: Path) -> classifier.EmotionClassifier:
    return classifier.load(emotion_run / "model", threads=1)


@pytest.fixture(params=["multi", "single"])
def model(request: pytest.FixtureRequest) -> classifier.EmotionClassifier:
    return request.getfixturevalue(request.param)


# The int8 model quantises activations with one scale per batch (dynamic quantisation), so a
# score computed inside a batch differs from the same text scored alone (up to ~0.02 seen with
# the tiny models); the fp32 export has no such effect and must match exactly.
TOLERANCE = {"model": 0.05, "model-fp32": 1e-5}


@pytest.fixture(
    params=[(run, folder) for run in ("goemotions_run", "emotion_run") for folder in TOLERANCE]
)
def any_model(request: pytest.FixtureRequest) -> tuple[classifier.EmotionClassifier, float]:
    run, folder = request.param
    return classifier.load(request.getfixturevalue(run) / folder, threads=1), TOLERANCE[folder]


def _score(model: classifier.EmotionClassifier, text: str, emotion: str) -> float:
    return model.predict([text])[0].scores[emotion]


# --- faithful to the model ----------------------------------------------------------------------


@pytest.mark.parametrize("emotion", [None, "sadness"])
def test_matches_brute_force_occlusion(
    any_model: tuple[classifier.EmotionClassifier, float], emotion: str | None
) -> None:
    model, tolerance = any_model
    result = explain(model, MIXED, emotion)
    top = model.predict([MIXED])[0].label
    assert result.emotion == (emotion or top) and result.label == top
    assert result.base_score == pytest.approx(_score(model, MIXED, result.emotion), abs=tolerance)
    assert sorted(w.word for w in result.words) == sorted(MIXED_WORDS)
    for w in result.words:
        assert MIXED[w.start : w.end] == w.word
        # one by one, building the variant by hand from the offsets
        without = MIXED[: w.start] + " " + MIXED[w.end :]
        expected = result.base_score - _score(model, without, result.emotion)
        assert w.contribution == pytest.approx(expected, abs=tolerance), w.word
    if emotion is None:  # the model does react to the words behind its top label
        assert max(abs(w.contribution) for w in result.words) > 1e-3


def test_strongest_first_and_helpers(multi: classifier.EmotionClassifier) -> None:
    result = explain(multi, MIXED)
    strengths = [abs(w.contribution) for w in result.words]
    assert strengths == sorted(strengths, reverse=True)
    assert result.top(3) == result.words[:3]
    assert all(w.contribution > 0 for w in result.top(50, positive_only=True))
    data = json.loads(json.dumps(result.to_dict()))
    assert data["emotion"] == result.emotion and len(data["words"]) == len(MIXED_WORDS)
    assert set(data["words"][0]) == {"word", "start", "end", "contribution"}
    assert set(result.scores) == set(multi.scheme.labels)


def test_emotion_is_case_insensitive_and_checked(multi: classifier.EmotionClassifier) -> None:
    assert explain(multi, "so glad", "JOY").emotion == "joy"
    with pytest.raises(ValueError, match="unknown emotion 'bliss'"):
        explain(multi, "so glad", "bliss")
    with pytest.raises(ValueError):
        explain(multi, "so glad", max_words=0)


def test_same_text_same_answer(multi: classifier.EmotionClassifier) -> None:
    assert explain(multi, MIXED, samples=16) == explain(multi, MIXED, samples=16)


# --- odd input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n", "```\nprint('x')\n```", "`a = 1`"])
def test_nothing_to_explain(model: classifier.EmotionClassifier, text: str) -> None:
    result = explain(model, text)
    pred = model.predict([text])[0]
    assert result.note == "empty" and result.words == [] and result.words_total == 0
    assert result.emotion == pred.label
    assert result.base_score == pytest.approx(pred.scores[pred.label])


def test_one_word_is_measured_against_the_empty_answer(model: classifier.EmotionClassifier) -> None:
    result = explain(model, "furious")
    assert result.note is None and len(result.words) == 1
    (word,) = result.words
    assert word == Word("furious", 0, 7, word.contribution)
    empty = _score(model, "", result.emotion)
    assert word.contribution == pytest.approx(result.base_score - empty, abs=1e-5)


def test_emoji_only(multi: classifier.EmotionClassifier) -> None:
    text = "😭😭😭 🎉"
    result = explain(multi, text)
    assert sorted(w.word for w in result.words) == ["🎉", "😭😭😭"]
    for w in result.words:
        assert text[w.start : w.end] == w.word and np.isfinite(w.contribution)
    assert result.note is None


def test_very_long_text_is_cut_after_max_words(multi: classifier.EmotionClassifier) -> None:
    text = "honestly " * 300 + "furious"
    result = explain(multi, text)
    assert result.note == "cut" and result.words_total == 301
    assert len(result.words) == MAX_WORDS
    cut_end = max(w.end for w in result.words)
    assert cut_end == len("honestly " * MAX_WORDS) - 1
    cut_score = _score(multi, text[:cut_end], result.emotion)
    assert result.base_score == pytest.approx(cut_score, abs=TOLERANCE["model"])
    short = explain(multi, MIXED, max_words=3)
    assert short.note == "cut" and sorted(w.start for w in short.words) == [0, 2, 7]


def test_refinement_is_labelled(multi: classifier.EmotionClassifier) -> None:
    assert explain(multi, MIXED, samples=16).method == "sampled"
    assert explain(multi, "so glad", samples=16).method == "occlusion"  # fewer than 3 words
    assert explain(multi, MIXED).method == "occlusion"


# --- units and the fit (no model) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("I don't know!!! 😭😭😭 why", ["I", "don't", "know", "!!!", "😭😭😭", "why"]),
        ("ok ❤️ 👍🏽 👨\u200d👩\u200d👧 ok", ["ok", "❤️", "👍🏽", "👨\u200d👩\u200d👧", "ok"]),
        ("run `x = 1` then ```\ncode\n``` done", ["run", "then", "done"]),
        (
            "@here look <#C1|general> www.example.com",
            ["@here", "look", "<#C1|general>", "www.example.com"],
        ),
        ("très fatigué, aujourd'hui...", ["très", "fatigué", ",", "aujourd'hui", "..."]),
        ("", []),
    ],
)
def test_word_units(text: str, units: list[str]) -> None:
    assert [text[s:e] for s, e in word_spans(text)] == units


def test_drop_never_merges_neighbours() -> None:
    text = "well,done!"
    spans = word_spans(text)
    assert drop(text, spans, [1]) == "well done!"
    assert drop(text, spans, []) == text
    assert drop(text, spans, [2, 0, 2]) == " , !"


def test_fit_is_leave_one_out_without_samples_and_recovers_an_additive_model() -> None:
    masks = _masks(4, 0, "x")
    assert masks.shape == (5, 4) and masks[0].all()
    scores = np.array([0.9, 0.5, 0.8, 0.9, 0.7])
    assert _fit(masks, scores) == pytest.approx([0.4, 0.1, 0.0, 0.2])
    weights = np.array([0.3, -0.1, 0.05, 0.2, 0.0, 0.15])
    masks = _masks(6, 40, "y")
    assert masks.shape == (47, 6) and (~masks[7:]).sum(axis=1).min() >= 2
    additive = 0.1 + masks.astype(float) @ weights
    assert _fit(masks, additive) == pytest.approx(weights, abs=1e-9)


def test_explanation_is_plain_data() -> None:
    e = Explanation(text="x", emotion="joy", base_score=0.5, words=[Word("x", 0, 1, 0.25)])
    assert e.to_dict()["words"] == [{"word": "x", "start": 0, "end": 1, "contribution": 0.25}]


def test_no_torch_at_run_time() -> None:
    code = (
        "import sys, classifier.explain; "
        "bad = [m for m in ('torch', 'transformers') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


class PredictOnly:
    """A classifier with the core's ``Classifier`` surface only (no batched ``scores``)."""

    def __init__(self, inner: classifier.EmotionClassifier) -> None:
        self.inner = inner
        self.calls = 0

    @property
    def scheme(self) -> classifier.LabelScheme:
        return self.inner.scheme

    @property
    def version(self) -> str:
        return self.inner.version

    def predict(self, texts: Sequence[str]) -> list[classifier.Prediction]:
        self.calls += 1
        return self.inner.predict(texts)


def test_predict_only_models_give_the_same_answer_in_one_call(
    multi: classifier.EmotionClassifier,
) -> None:
    wrapped = PredictOnly(multi)
    slow = explain(wrapped, MIXED)
    fast = explain(multi, MIXED)
    assert wrapped.calls == 1
    assert [w[:3] for w in slow.words] == [w[:3] for w in fast.words]
    got = [w.contribution for w in slow.words]
    assert got == pytest.approx([w.contribution for w in fast.words], abs=1e-6)


def test_the_core_fake_classifier_is_explained_by_its_keyword() -> None:
    from tests.fakes import FakeClassifier

    result = explain(FakeClassifier(), "honestly I am furious about the release")
    assert result.emotion == "anger" and result.base_score == pytest.approx(0.8)
    top = result.words[0]
    assert top[:3] == ("furious", 14, 21) and top.contribution == pytest.approx(0.78)
    assert all(w.contribution == 0 for w in result.words[1:])
