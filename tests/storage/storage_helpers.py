"""Builders for the storage tests (plain functions, real records)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.events import ChannelRef, ChatMessage, CommunityRef, UserRef
from bot.core.records import FlagRecord, HumanLabel
from classifier.prediction import Prediction

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
GUILD = CommunityRef("discord", "g1", "Guild")
GENERAL = ChannelRef(GUILD, "c1", "general")
RANDOM = ChannelRef(GUILD, "c2", "random")
OTHER_GUILD = CommunityRef("discord", "g2", "Other")
ANN = UserRef("discord", "u-ann", "Ann")
BOB = UserRef("discord", "u-bob", "Bob")


def msg(
    message_id: str,
    *,
    user: UserRef = ANN,
    channel: ChannelRef = GENERAL,
    minutes: float = 0,
    text: str = "some words",
) -> ChatMessage:
    return ChatMessage(
        id=message_id,
        channel=channel,
        author=user,
        text=text,
        sent_at=T0 + timedelta(minutes=minutes),
    )


def pred(label: str = "joy", score: float = 0.8, version: str = "v1") -> Prediction:
    other = "sadness" if label != "sadness" else "joy"
    return Prediction(
        label=label,
        scores={label: score, other: round(1 - score, 6)},
        labels=(label,),
        model_version=version,
    )


def label(
    *, by: UserRef, message_id: str | None, text: str = "labelled text", minutes: float = 0
) -> HumanLabel:
    return HumanLabel(
        platform=by.platform,
        community_id=GUILD.id,
        text=text,
        emotion="sadness",
        labelled_by=by.id,
        labelled_at=T0 + timedelta(minutes=minutes),
        message_id=message_id,
        model_label="joy",
    )


def flag(*, user: UserRef, message_id: str, minutes: float = 0, state: str = "open") -> FlagRecord:
    return FlagRecord(
        id=0,
        platform=user.platform,
        community_id=GUILD.id,
        channel_id=GENERAL.id,
        user_id=user.id,
        message_id=message_id,
        created_at=T0 + timedelta(minutes=minutes),
        reason="phrase: test",
        score=0.91,
        state=state,
        permalink=f"https://example.invalid/{message_id}",
    )
