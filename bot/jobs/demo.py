"""A demonstration community: two weeks of classified messages and flags, seeded into a store.

The story a moderator should read off the summary: a support channel that turned sour mid-week
(an outage on Wednesday and Thursday), a general channel in good spirits, one small channel that
is hidden because too few people wrote there, and a handful of distress flags in several states.
Deterministic (seeded), so the tests can count what they expect.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.events import ChannelRef, ChatMessage, CommunityRef, UserRef
from bot.core.ports import MessageStore
from bot.core.records import CommunitySettings, FlagRecord
from classifier.prediction import Prediction
from classifier.scheme import LabelScheme, goemotions_scheme

PLATFORM = "demo"
COMMUNITY = CommunityRef(PLATFORM, "demo-community", "Demo community")
TIMEZONE = "Europe/London"

FINE = {
    "positive": ("joy", "gratitude", "admiration", "amusement", "excitement", "approval", "love"),
    "negative": ("annoyance", "disappointment", "sadness", "anger", "nervousness", "disapproval"),
    "neutral": ("neutral",),
    "ambiguous": ("curiosity", "confusion", "surprise", "realization"),
}


@dataclass(frozen=True)
class DemoChannel:
    id: str
    name: str
    members: int
    per_day: int  # messages on a weekday (weekends get half)
    mix: dict[str, float]  # family -> weight, a normal day
    mix_bad: dict[str, float] = field(default_factory=dict)  # Wed/Thu of the demo week


CHANNELS = (
    DemoChannel(
        "c-general",
        "general",
        12,
        40,
        {"positive": 0.42, "negative": 0.12, "neutral": 0.34, "ambiguous": 0.12},
    ),
    DemoChannel(
        "c-support",
        "support",
        7,
        24,
        {"positive": 0.25, "negative": 0.2, "neutral": 0.35, "ambiguous": 0.2},
        {"positive": 0.08, "negative": 0.62, "neutral": 0.18, "ambiguous": 0.12},
    ),
    DemoChannel(
        "c-random",
        "random",
        5,
        12,
        {"positive": 0.5, "negative": 0.08, "neutral": 0.3, "ambiguous": 0.12},
    ),
    DemoChannel(
        "c-design",
        "design-crit",
        2,
        6,  # two people only: must stay hidden
        {"positive": 0.3, "negative": 0.4, "neutral": 0.3},
    ),
)


@dataclass
class DemoCounts:
    """What was seeded (the tests check the summary against it)."""

    messages: dict[str, int] = field(default_factory=dict)  # "this" / "previous"
    families: dict[str, dict[str, int]] = field(default_factory=dict)
    members: dict[str, int] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)  # state -> count, this week


def _prediction(label: str, scheme: LabelScheme, rng: random.Random) -> Prediction:
    scores = {name: round(rng.uniform(0.0, 0.05), 3) for name in scheme.labels}
    scores[label] = round(rng.uniform(0.55, 0.95), 3)
    return Prediction(label=label, scores=scores, labels=(label,), model_version="demo")


def _family(weights: dict[str, float], rng: random.Random) -> str:
    names = list(weights)
    return rng.choices(names, weights=[weights[n] for n in names])[0]


def seed_demo(
    store: MessageStore, week_start: datetime, *, seed: int = 7, min_group_size: int = 3
) -> DemoCounts:
    """Seed the week starting at ``week_start`` (a Monday 00:00, aware) and the week before."""
    scheme = goemotions_scheme()
    rng = random.Random(seed)
    store.save_community_settings(
        COMMUNITY, CommunitySettings(timezone=TIMEZONE, min_group_size=min_group_size)
    )
    counts = DemoCounts()
    n = 0
    for period, start in (("previous", week_start - timedelta(days=7)), ("this", week_start)):
        total = 0
        families: dict[str, int] = {}
        authors: set[str] = set()
        for channel in CHANNELS:
            ref = ChannelRef(COMMUNITY, channel.id, channel.name)
            for day in range(7):
                bad = period == "this" and day in (2, 3) and channel.mix_bad
                mix = channel.mix_bad if bad else channel.mix
                volume = channel.per_day // (2 if day >= 5 else 1)
                volume = max(1, volume + rng.randint(-3, 3)) + (8 if bad else 0)
                for _ in range(volume):
                    n += 1
                    member = rng.randrange(channel.members)
                    user = UserRef(PLATFORM, f"{channel.name}-member-{member}", f"m{member}")
                    family = _family(mix, rng)
                    label = rng.choice(FINE[family])
                    sent = start + timedelta(days=day, hours=rng.uniform(8, 22))
                    msg = ChatMessage(f"demo-{n}", ref, user, "(demo text, not stored)", sent)
                    store.save_classification(msg, _prediction(label, scheme, rng))
                    total += 1
                    families[family] = families.get(family, 0) + 1
                    authors.add(user.id)
        counts.messages[period] = total
        counts.families[period] = families
        counts.members[period] = len(authors)
    states = ("open", "acknowledged", "resolved", "false_alarm", "resolved")
    for i, state in enumerate(states):
        created = week_start + timedelta(days=2 + i % 2, hours=10 + i)
        reviewed = state != "open"
        store.add_flag(
            FlagRecord(
                id=0,
                platform=PLATFORM,
                community_id=COMMUNITY.id,
                channel_id="c-support",
                user_id=f"support-member-{i}",
                message_id=f"flag-msg-{i}",
                created_at=created,
                reason="distress phrase",
                score=0.9,
                state=state,
                reviewed_by="moderator" if reviewed else None,
                reviewed_at=created + timedelta(hours=1) if reviewed else None,
            )
        )
        counts.flags[state] = counts.flags.get(state, 0) + 1
    return counts


def channel_names() -> dict[str, str]:
    return {c.id: c.name for c in CHANNELS}
