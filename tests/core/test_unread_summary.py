"""Messages stored as not read (other languages, code only) are in no mood share: a summary of
three members writing in Chinese, Arabic and Hindi is not "Neutral 100%" (issue 16, item 12)."""

from __future__ import annotations

from datetime import timedelta

from bot.core.summary import build_summary, summary_card
from classifier.prediction import UNREAD_LABEL
from tests.core.test_summary import COMMUNITY, MONDAY, SCHEME, row


def _summary(this, prev=()):
    return build_summary(
        community=COMMUNITY,
        start=MONDAY,
        end=MONDAY + timedelta(days=7),
        rows=list(this),
        prev_rows=list(prev),
        flags=[],
        scheme=SCHEME,
        min_group_size=3,
        channel_names={"general": "general"},
    )


def test_unread_messages_are_counted_apart_and_in_no_share():
    this = [
        row(i, user=u, channel="general", label=UNREAD_LABEL, day=i % 7)
        for i, u in enumerate("abcabc")
    ]
    this += [row(10, user="a", channel="general", label="joy", day=1)]
    this += [row(11, user="b", channel="general", label="sadness", day=2)]
    summary = _summary(this)
    assert summary.unread == 6 and summary.messages == 2
    assert summary.families == {"positive": 0.5, "negative": 0.5}
    assert UNREAD_LABEL not in summary.emotions
    assert sum(sum(day.values()) for day in summary.by_day.values()) == 2
    participation = dict(summary_card(summary).fields)["Participation"]
    assert "6 more messages in other languages (or only code) were not read" in participation


def test_a_week_of_only_other_languages_is_no_neutral_week():
    this = [
        row(i, user=u, channel="general", label=UNREAD_LABEL, day=i % 7)
        for i, u in enumerate("abc")
    ]
    summary = _summary(this)
    assert summary.families == {} and summary.unread == 3
    card = summary_card(summary)
    assert "Neutral" not in f"{card.body}{card.fields}"
    assert "3 more messages in other languages (or only code) were not read" in card.body
