"""The distress flag with the shipped model, through the real core (real SQLite store, the real
ONNX Runtime session): every message of the issue that used to go unnoticed now reaches the
moderators, for a member with no history; ordinary hard negatives do not.

Texts below are the issue's own examples (already public in it); the suite's texts stay in
tests/distress/suite.tsv and are only counted here.
"""

from __future__ import annotations

import pytest

import classifier
from bot.config import DEFAULT_MODEL_DIR
from bot.core.events import DistressFlag
from bot.core.options import CoreOptions
from bot.core.records import CommunitySettings
from bot.core.service import EmotionService
from tests.core.conftest import COMMUNITY, Harness, member
from tests.distress.suite import ISSUE_EXAMPLES, load_suite

pytestmark = pytest.mark.slow

MISSED_BEFORE = [
    *ISSUE_EXAMPLES,
    "k.i.l.l myself",
    "ｋｉｌｌ ｍｙｓｅｌｆ",
    # the phrase after character 20,000 of a (40,000-character) Slack message
    "ok " * 7_000 + "and honestly I am going to kill myself",
]
SAFE = [
    "this exam is killing me lol",
    "I could murder a burger right now",
    "my character died again on the last boss",
    "kill the process and restart the server",
    "what a great game last night, we destroyed them",
]


@pytest.fixture
async def real(store, clock, shipped):
    svc = EmotionService(
        store=store,
        classifier=shipped,
        clock=clock,
        options=CoreOptions(store_retry_delay_s=0.01, settings_cache_s=0.0),
    )
    store.save_community_settings(COMMUNITY, CommunitySettings(mod_channel_id="mods"))
    yield Harness(svc, clock)
    await svc.aclose()


def test_the_shipped_model_has_a_distress_head(shipped: classifier.EmotionClassifier) -> None:
    assert shipped.has_distress
    points = shipped.artifact.meta["distress"]["operating_points"]
    assert set(points) == {"low", "default", "high"}


@pytest.mark.parametrize("index", range(len(MISSED_BEFORE)))
async def test_each_message_the_old_detector_missed_now_flags(real, index: int) -> None:
    who = member(f"m{index}")  # a member with no history
    actions = await real.say(who, MISSED_BEFORE[index])
    flags = [a for a in actions if isinstance(a, DistressFlag)]
    assert len(flags) == 1, f"example {index} did not reach the moderators"
    assert flags[0].mod_channel_id == "mods"


@pytest.mark.parametrize("index", range(len(SAFE)))
async def test_hyperbole_and_games_do_not_flag(real, index: int) -> None:
    actions = await real.say(member(f"s{index}"), SAFE[index])
    assert not any(isinstance(a, DistressFlag) for a in actions)


def test_the_chat_suite_meets_the_targets_at_the_default_budget(
    shipped: classifier.EmotionClassifier,
) -> None:
    """The project's own suite, at the default budget: measured 143/176 at-risk lines (0.81) and
    16/180 hard negatives (0.089) with the model of 2026-12-02. The issue's targets (0.90 and 0.05)
    are not met yet; this holds the line against regressions until they are. int8 kernels differ
    between CPUs: a machine without VNNI measures 19/180, hence the bound of 0.11."""
    from bot.core.distress.detector import Thresholds, assess
    from classifier.exemplars import ExemplarMatcher

    rows = load_suite()
    matcher = ExemplarMatcher.load(DEFAULT_MODEL_DIR)
    thresholds = Thresholds.from_meta(shipped.artifact.meta)
    preds = shipped.predict([r.text for r in rows])
    high = [
        assess(r.text, p, matcher, thresholds).level == "high"
        for r, p in zip(rows, preds, strict=True)
    ]
    risk = [h for h, r in zip(high, rows, strict=True) if r.at_risk]
    safe = [h for h, r in zip(high, rows, strict=True) if not r.at_risk]
    assert sum(risk) / len(risk) >= 0.80, f"suite recall {sum(risk)}/{len(risk)}"
    assert sum(safe) / len(safe) <= 0.11, f"suite false flags {sum(safe)}/{len(safe)}"
