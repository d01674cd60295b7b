"""Pure rules: when to send an empathy prompt, cooldowns, who counts as a moderator.

Nothing here names an emotion: the negative labels come from the model's label scheme
(``scheme.labels_in("negative")``), so the same rules serve the GoEmotions model (28 sigmoid
labels) and the dair-ai model (6 softmax classes).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.core.events import UserRef
from bot.core.records import ChannelSettings, CommunitySettings
from classifier.prediction import Prediction
from classifier.scheme import LabelScheme

# A message is "strongly negative" when its highest negative-family score reaches this. Chosen from
# the shipped model's GoEmotions dev-set behaviour (``python -m train.calibrate``, the lowest
# threshold with at least 87.5% precision): at 0.75, 89% of the dev messages that would be prompted
# really carry a negative label (15% of those messages are caught, 3.9% of all messages qualify
# before cooldowns); 0.70 gives 85% on 5.7%; 0.5 prompts on 13% at 79% precision.
# Overridable by ``EMPATHY_THRESHOLD`` (settings) and per channel (``/emotion settings threshold``).
DEFAULT_EMPATHY_THRESHOLD = 0.75
# At most one prompt per member in this window, and one per channel (so a heated thread does not
# turn into a stream of bot messages).
DEFAULT_MEMBER_COOLDOWN = timedelta(hours=6)
DEFAULT_CHANNEL_COOLDOWN = timedelta(minutes=10)
EMPATHY_MODES = ("dm", "thread", "off")


@dataclass(frozen=True)
class NegativeScore:
    label: str | None
    score: float


def strongest_negative(prediction: Prediction, scheme: LabelScheme) -> NegativeScore:
    """The highest-scoring label of the scheme's negative family (``label`` None if it has none)."""
    best = NegativeScore(None, 0.0)
    for label in scheme.labels_in("negative"):
        score = float(prediction.scores.get(label, 0.0))
        if score > best.score:
            best = NegativeScore(label, score)
    return best


def empathy_threshold(channel: ChannelSettings, default: float) -> float:
    """The channel's own threshold when set, else the default."""
    return channel.empathy_threshold if channel.empathy_threshold is not None else default


@dataclass(frozen=True)
class EmpathyDecision:
    prompt: bool
    reason: str  # "strong_negative" | "below_threshold" | "disabled" | "cooldown_member" | ...
    label: str | None = None
    score: float = 0.0
    threshold: float = 0.0


class Cooldowns:
    """The cooldown rule per member and per channel, in memory (one process; the clock is the
    caller's: every method takes ``now``). The bot itself keeps its cooldowns in the database
    (``MessageStore.claim_empathy``, the same rule taken atomically), so that they hold across
    processes and restarts."""

    def __init__(
        self,
        *,
        member: timedelta = DEFAULT_MEMBER_COOLDOWN,
        channel: timedelta = DEFAULT_CHANNEL_COOLDOWN,
        max_keys: int = 50_000,
    ) -> None:
        self.member = member
        self.channel = channel
        self._max_keys = max_keys
        self._last: OrderedDict[tuple[str, ...], datetime] = OrderedDict()

    def blocked(
        self, member_key: tuple[str, ...], channel_key: tuple[str, ...], now: datetime
    ) -> str | None:
        """``"member"`` or ``"channel"`` when that cooldown is still running, else None."""
        last = self._last.get(("m", *member_key))
        if last is not None and now - last < self.member:
            return "member"
        last = self._last.get(("c", *channel_key))
        if last is not None and now - last < self.channel:
            return "channel"
        return None

    def mark(
        self, member_key: tuple[str, ...], channel_key: tuple[str, ...], now: datetime
    ) -> None:
        for key in (("m", *member_key), ("c", *channel_key)):
            self._last[key] = now
            self._last.move_to_end(key)
        while len(self._last) > self._max_keys:
            self._last.popitem(last=False)


def wants_empathy(
    prediction: Prediction,
    scheme: LabelScheme,
    *,
    community: CommunitySettings,
    channel: ChannelSettings,
    default_threshold: float,
    at_risk: bool = False,
) -> EmpathyDecision:
    """Whether a prompt is due, cooldowns aside: ``prompt`` True means "if the cooldowns allow".

    ``at_risk``: the distress detector saw medium risk without a flag (a calm "I wrote a goodbye
    letter" is not strongly negative): the prompt goes out whatever the emotion scores.
    """
    negative = strongest_negative(prediction, scheme)
    threshold = empathy_threshold(channel, default_threshold)

    def decision(prompt: bool, reason: str) -> EmpathyDecision:
        return EmpathyDecision(prompt, reason, negative.label, negative.score, threshold)

    if (
        not (community.empathy_enabled and channel.empathy_enabled)
        or community.empathy_mode == "off"
    ):
        return decision(False, "disabled")
    if not at_risk and (negative.label is None or negative.score < threshold):
        return decision(False, "below_threshold")
    return decision(True, "at_risk" if at_risk else "strong_negative")


def held_back(decision: EmpathyDecision, cooldown: str) -> EmpathyDecision:
    """``decision`` turned down because the ``"member"`` or ``"channel"`` cooldown still runs."""
    return replace(decision, prompt=False, reason=f"cooldown_{cooldown}")


def decide_empathy(
    prediction: Prediction,
    scheme: LabelScheme,
    *,
    community: CommunitySettings,
    channel: ChannelSettings,
    default_threshold: float,
    cooldowns: Cooldowns,
    member_key: tuple[str, ...],
    channel_key: tuple[str, ...],
    now: datetime,
    at_risk: bool = False,
) -> EmpathyDecision:
    """:func:`wants_empathy` with in-memory ``cooldowns``, marked when it says yes."""
    decision = wants_empathy(
        prediction,
        scheme,
        community=community,
        channel=channel,
        default_threshold=default_threshold,
        at_risk=at_risk,
    )
    if not decision.prompt:
        return decision
    blocked = cooldowns.blocked(member_key, channel_key, now)
    if blocked:
        return held_back(decision, blocked)
    cooldowns.mark(member_key, channel_key, now)
    return decision


def is_moderator(user: UserRef, community: CommunitySettings) -> bool:
    """Moderators come from the platform's permissions (set by the adapter) or the settings list."""
    return user.is_moderator or user.id in community.moderators


def family_of(label: str, scheme: LabelScheme) -> str:
    """A label's family; labels of another scheme (rows stored by an older model) are "other"."""
    return scheme.family.get(label, "other")
