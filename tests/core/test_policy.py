"""Pure policy rules: negative families from the scheme, thresholds, cooldowns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.policy import Cooldowns, decide_empathy, is_moderator, strongest_negative
from bot.core.records import ChannelSettings, CommunitySettings
from classifier.prediction import Prediction
from classifier.scheme import emotion_scheme, goemotions_scheme
from tests.core.conftest import member

NOW = datetime(2025, 3, 3, 12, tzinfo=UTC)


def prediction(scheme, **scores: float) -> Prediction:
    full = {label: scores.get(label, 0.01) for label in scheme.labels}
    top = max(full, key=full.__getitem__)
    return Prediction(label=top, scores=full, labels=(top,), model_version="t")


@pytest.mark.parametrize("scheme", [goemotions_scheme(), emotion_scheme()], ids=lambda s: s.name)
def test_negative_family_comes_from_the_scheme(scheme):
    negatives = scheme.labels_in("negative")
    label = negatives[-1]
    pred = prediction(scheme, **{label: 0.7, scheme.labels_in("positive")[0]: 0.9})
    assert strongest_negative(pred, scheme).label == label
    assert strongest_negative(pred, scheme).score == pytest.approx(0.7)


def decide(
    pred,
    scheme,
    cooldowns,
    *,
    community=None,
    channel=None,
    now=NOW,
    member_key=("a",),
    channel_key=("c",),
):
    return decide_empathy(
        pred,
        scheme,
        community=community or CommunitySettings(),
        channel=channel or ChannelSettings(),
        default_threshold=0.5,
        cooldowns=cooldowns,
        member_key=member_key,
        channel_key=channel_key,
        now=now,
    )


def test_threshold_default_and_channel_override():
    scheme = emotion_scheme()
    pred = prediction(scheme, fear=0.6)
    assert decide(pred, scheme, Cooldowns()).prompt
    strict = ChannelSettings(empathy_threshold=0.8)
    result = decide(pred, scheme, Cooldowns(), channel=strict)
    assert (result.prompt, result.reason, result.threshold) == (False, "below_threshold", 0.8)
    assert not decide(prediction(scheme, joy=0.99), scheme, Cooldowns()).prompt


def test_disabled_by_community_channel_or_mode():
    scheme = goemotions_scheme()
    pred = prediction(scheme, grief=0.9)
    for community, channel in [
        (CommunitySettings(empathy_enabled=False), None),
        (CommunitySettings(empathy_mode="off"), None),
        (None, ChannelSettings(empathy_enabled=False)),
    ]:
        result = decide(pred, scheme, Cooldowns(), community=community, channel=channel)
        assert (result.prompt, result.reason) == (False, "disabled")


def test_cooldowns_use_the_injected_time():
    scheme = goemotions_scheme()
    pred = prediction(scheme, anger=0.9)
    cooldowns = Cooldowns(member=timedelta(hours=1), channel=timedelta(minutes=5))
    assert decide(pred, scheme, cooldowns).prompt
    assert (
        decide(pred, scheme, cooldowns, now=NOW + timedelta(minutes=4), member_key=("b",)).reason
        == "cooldown_channel"
    )
    assert decide(pred, scheme, cooldowns, now=NOW + timedelta(minutes=30)).reason == (
        "cooldown_member"
    )
    assert decide(
        pred, scheme, cooldowns, now=NOW + timedelta(minutes=30), member_key=("b",)
    ).prompt
    assert decide(pred, scheme, cooldowns, now=NOW + timedelta(hours=2)).prompt


def test_moderators_from_the_platform_or_the_settings_list():
    settings = CommunitySettings(moderators=("bob",))
    assert is_moderator(member("mia", mod=True), settings)
    assert is_moderator(member("bob"), settings)
    assert not is_moderator(member("alice"), settings)
