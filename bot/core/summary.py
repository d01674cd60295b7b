"""Pure weekly aggregation: stored rows of two weeks -> :class:`WeeklySummary` -> :class:`Card`.

Groups only: no member is named, channels with fewer distinct authors than the community's
minimum group size are hidden (and counted as hidden), and a week with fewer active members than
the minimum yields no mix at all. Labels are folded into the model scheme's families (positive,
negative, neutral, ambiguous), with the finer emotions underneath; labels of another scheme
(rows written by an earlier model) fall into "other".

Shares are shares of messages (not of members). A change from last week is shown with its 95%
margin and said to be "within noise" when chance alone could explain it (:mod:`bot.core.change`).
Days are calendar dates in the community's time zone, which the card and the chart name.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from bot.core import strings as msgs
from bot.core.aggregates import (
    PeriodStats,
    in_order,
    label_counts,
    stats_from_rows,
    without_unread,
)
from bot.core.change import ShareChange, margin_points
from bot.core.events import Card, CommunityRef
from bot.core.records import FLAG_STATES, FlagRecord, StoredMessage
from classifier.scheme import LabelScheme

FAMILY_ORDER = ("positive", "negative", "neutral", "ambiguous", "other")
TOP_CHANNELS = 3
TOP_EMOTIONS = 5
TOP_PER_FAMILY = 3  # finer emotions shown under each family


@dataclass(frozen=True)
class ChannelMove:
    channel_id: str
    name: str
    messages: int
    negative_share: float
    prev_negative_share: float | None  # None: not enough people last week to compare
    prev_messages: int = 0

    @property
    def change(self) -> float:
        return self.negative_share - (self.prev_negative_share or 0.0)

    @property
    def negative_change(self) -> ShareChange | None:
        if self.prev_negative_share is None:
            return None
        return ShareChange(
            self.negative_share, self.prev_negative_share, self.messages, self.prev_messages
        )


@dataclass(frozen=True)
class WeeklySummary:
    community: CommunityRef
    start: datetime
    end: datetime
    min_group_size: int
    messages: int
    prev_messages: int
    members: int
    prev_members: int
    hidden: bool  # fewer active members than the minimum: no mix shown
    families: dict[str, float] = field(default_factory=dict)  # share of messages, this week
    prev_families: dict[str, float] = field(default_factory=dict)
    emotions: dict[str, float] = field(default_factory=dict)  # top finer labels, share
    # family -> its top finer labels, each as a share of all messages
    family_emotions: dict[str, dict[str, float]] = field(default_factory=dict)
    # local calendar date (in ``tz``) -> family -> messages; every date of the period, in order
    by_day: dict[date, dict[str, int]] = field(default_factory=dict)
    prev_by_day: dict[date, dict[str, int]] = field(default_factory=dict)  # {} if not shown
    channels: tuple[ChannelMove, ...] = ()
    hidden_channels: int = 0
    flags: dict[str, int] = field(default_factory=dict)  # state -> count
    unread: int = 0  # messages not read (other languages, code only): in no share above
    tz: tzinfo = UTC  # the community's time zone: the days above are its dates

    @property
    def empty(self) -> bool:
        return self.messages == 0

    @property
    def timezone_name(self) -> str:
        return str(getattr(self.tz, "key", None) or self.tz)

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(self.tz)

    @property
    def local_last(self) -> datetime:
        """The last moment of the period (it is ``[start, end)``), in the community's zone."""
        return (self.end - timedelta(microseconds=1)).astimezone(self.tz)

    @property
    def days_between_periods(self) -> int:
        """How many days back the same day of the previous period lies (7 for a week)."""
        return max(1, round((self.end - self.start) / timedelta(days=1)))

    def family_change(self, family: str) -> ShareChange | None:
        """This week's share of ``family`` against last week's; None without a last week."""
        if not self.prev_families:
            return None
        return ShareChange(
            self.families.get(family, 0.0),
            self.prev_families.get(family, 0.0),
            self.messages,
            self.prev_messages,
        )


def _shares(counts: Mapping[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()} if total else {}


def _families(stats: PeriodStats, scheme: LabelScheme) -> Counter[str]:
    """Messages per family, families in the order they first appear."""
    out: Counter[str] = Counter()
    for g in in_order(stats.labels):
        out[scheme.family.get(g.label, "other")] += g.count
    return out


def _by_channel(stats: PeriodStats, scheme: LabelScheme) -> dict[str, tuple[int, int]]:
    """Channel -> (messages, negative messages), channels in the order they first appear."""
    out: dict[str, tuple[int, int]] = {}
    for g in in_order(stats.channels):
        n, negative = out.get(str(g.key), (0, 0))
        bad = g.count if scheme.family.get(g.label) == "negative" else 0
        out[str(g.key)] = (n + g.count, negative + bad)
    return out


def _channel_moves(
    stats: PeriodStats,
    prev: PeriodStats,
    scheme: LabelScheme,
    min_group: int,
    names: Mapping[str, str],
) -> tuple[tuple[ChannelMove, ...], int]:
    now, before = _by_channel(stats, scheme), _by_channel(prev, scheme)
    moves, hidden = [], 0
    for channel_id, (count, negative) in now.items():
        if stats.channel_members.get(channel_id, 0) < min_group:
            hidden += 1
            continue
        old = before.get(channel_id)
        old_ok = old is not None and prev.channel_members.get(channel_id, 0) >= min_group
        moves.append(
            ChannelMove(
                channel_id=channel_id,
                name=names.get(channel_id, channel_id),
                messages=count,
                negative_share=negative / count,
                prev_negative_share=old[1] / old[0] if old is not None and old_ok else None,
                prev_messages=old[0] if old is not None and old_ok else 0,
            )
        )
    moves.sort(
        key=lambda m: abs(m.change) if m.prev_negative_share is not None else -1.0, reverse=True
    )
    return tuple(moves[:TOP_CHANNELS]), hidden


def _by_day(
    stats: PeriodStats, scheme: LabelScheme, tz: tzinfo, start: datetime, end: datetime
) -> dict[date, dict[str, int]]:
    """Messages per family on each local date of ``[start, end)``, quiet dates included: a
    rolling 7-day period spans 8 dates, and last Wednesday is not today's Wednesday."""
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    by_day: dict[date, dict[str, int]] = {
        first + timedelta(days=i): {} for i in range((last - first).days + 1)
    }
    for g in in_order(stats.buckets):
        assert isinstance(g.key, datetime)
        day = by_day.setdefault(g.key.astimezone(tz).date(), {})
        fam = scheme.family.get(g.label, "other")
        day[fam] = day.get(fam, 0) + g.count
    return dict(sorted(by_day.items()))


def build_summary(
    *,
    community: CommunityRef,
    start: datetime,
    end: datetime,
    rows: Sequence[StoredMessage],
    prev_rows: Sequence[StoredMessage],
    flags: Sequence[FlagRecord],
    scheme: LabelScheme,
    min_group_size: int,
    timezone: str | tzinfo = "UTC",
    channel_names: Mapping[str, str] | None = None,
) -> WeeklySummary:
    """Aggregate one period (``rows``) against the one before it (``prev_rows``)."""
    return summary_from_stats(
        community=community,
        start=start,
        end=end,
        stats=stats_from_rows(rows),
        prev=stats_from_rows(prev_rows),
        flags=flags,
        scheme=scheme,
        min_group_size=min_group_size,
        timezone=timezone,
        channel_names=channel_names,
    )


def summary_from_stats(
    *,
    community: CommunityRef,
    start: datetime,
    end: datetime,
    stats: PeriodStats,
    prev: PeriodStats,
    flags: Sequence[FlagRecord],
    scheme: LabelScheme,
    min_group_size: int,
    timezone: str | tzinfo = "UTC",
    channel_names: Mapping[str, str] | None = None,
) -> WeeklySummary:
    """The summary of one period's aggregates (``stats``) against the period before (``prev``):
    the same result as :func:`build_summary` on the rows they were counted from."""
    tz = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
    stats, unread = without_unread(stats)
    prev, _ = without_unread(prev)
    hidden = WeeklySummary(
        community=community,
        start=start,
        end=end,
        min_group_size=min_group_size,
        messages=stats.messages,
        prev_messages=prev.messages,
        members=stats.members,
        prev_members=prev.members,
        hidden=True,
        flags=dict(Counter(f.state for f in flags)),
        unread=unread,
        tz=tz,
    )
    if stats.members < min_group_size:
        return hidden
    prev_ok = prev.members >= min_group_size
    emotions = _shares(label_counts(stats.labels))
    ranked = sorted(emotions.items(), key=lambda kv: -kv[1])
    top = dict(ranked[:TOP_EMOTIONS])
    family_emotions: dict[str, dict[str, float]] = defaultdict(dict)
    for label, share in ranked:
        fam = scheme.family.get(label, "other")
        if len(family_emotions[fam]) < TOP_PER_FAMILY:
            family_emotions[fam][label] = share
    channels, hidden_channels = _channel_moves(
        stats, prev, scheme, min_group_size, channel_names or {}
    )
    return replace(
        hidden,
        hidden=False,
        families=_shares(_families(stats, scheme)),
        prev_families=_shares(_families(prev, scheme)) if prev_ok else {},
        emotions=top,
        family_emotions=dict(family_emotions),
        by_day=_by_day(stats, scheme, tz, start, end),
        prev_by_day=_by_day(prev, scheme, tz, start - (end - start), start) if prev_ok else {},
        channels=channels,
        hidden_channels=hidden_channels,
    )


def _pct(x: float) -> str:
    return f"{round(100 * x)}%"


def change_words(change: ShareChange, *, noise: bool = True) -> str:
    """A change of a share in words a moderator reads at once: ``same as last week`` when it
    rounds to 0 points, else ``up 5 ± 5 points (within noise)`` or ``... (more than chance would
    explain)``; the ± is the 95% margin. ``noise=False`` leaves the verdict out."""
    if change.points == 0:
        return msgs.SUMMARY_CHANGE_SAME
    words = msgs.SUMMARY_CHANGE.format(
        direction=msgs.SUMMARY_UP if change.points > 0 else msgs.SUMMARY_DOWN,
        points=abs(change.points),
        margin=margin_points(change),
    )
    if not noise:
        return words
    verdict = msgs.SUMMARY_BEYOND_NOISE if change.beyond_noise else msgs.SUMMARY_WITHIN_NOISE
    return f"{words} ({verdict})"


def _dates(s: WeeklySummary) -> dict[str, str]:
    return {
        "start": f"{s.local_start:%a %d %b}",
        "end": f"{s.local_last:%a %d %b %Y}",
        "timezone": s.timezone_name,
    }


def _flags_text(flags: Mapping[str, int]) -> str:
    """``3 raised: 1 open, 2 resolved`` (states in review order), or ``none``."""
    total = sum(flags.values())
    if not total:
        return msgs.SUMMARY_FLAGS_NONE
    order = {state: i for i, state in enumerate(FLAG_STATES)}
    parts = ", ".join(
        f"{n} {msgs.FLAG_STATE_NAMES.get(state, state).lower()}"
        for state, n in sorted(flags.items(), key=lambda kv: order.get(kv[0], 99))
    )
    return msgs.SUMMARY_FLAGS_TEXT.format(total=total, states=parts)


def _mix_lines(summary: WeeklySummary) -> list[str]:
    prev = summary.prev_families
    lines = []
    for f in FAMILY_ORDER:
        if not (summary.families.get(f) or prev.get(f)):
            continue
        line = f"{msgs.FAMILY_NAMES[f]}: {_pct(summary.families.get(f, 0.0))}"
        change = summary.family_change(f)
        if change is not None:
            line += f", {change_words(change)}"
        finer = summary.family_emotions.get(f, {})
        if len(finer) > 1 or (finer and f != "neutral"):
            line += " — " + ", ".join(f"{label} {_pct(share)}" for label, share in finer.items())
        lines.append(line)
    return lines


def _channel_line(c: ChannelMove) -> str:
    change = c.negative_change
    words = change_words(change) if change is not None else msgs.SUMMARY_NOT_COMPARED
    return msgs.SUMMARY_CHANNEL_LINE.format(name=c.name, share=_pct(c.negative_share), change=words)


def summary_card(summary: WeeklySummary, chart_png: bytes | None = None) -> Card:
    """Render a summary as a platform-neutral card (no chart for an empty or hidden week)."""
    dates = _dates(summary)
    title = msgs.SUMMARY_TITLE.format(**dates)
    flags = _flags_text(summary.flags)
    unread = ""
    if summary.unread:
        n = summary.unread
        unread = msgs.SUMMARY_UNREAD.format(
            n=n, messages="message" if n == 1 else "messages", were="was" if n == 1 else "were"
        )
    if summary.empty:
        body = msgs.SUMMARY_EMPTY.format(**dates)
        return Card(
            title=title,
            body=f"{body}\n{unread}" if unread else body,
            fields=((msgs.SUMMARY_FLAGS, flags),),
        )
    if summary.hidden:
        body = msgs.SUMMARY_HIDDEN.format(
            members=summary.members, min_group=summary.min_group_size, **dates
        )
        return Card(title=title, body=body, fields=((msgs.SUMMARY_FLAGS, flags),))
    mix = "\n".join(_mix_lines(summary))
    channels = "\n".join(_channel_line(c) for c in summary.channels)
    if summary.hidden_channels:
        n = summary.hidden_channels
        extra = msgs.SUMMARY_HIDDEN_CHANNELS.format(
            n=n, channels="channel" if n == 1 else "channels", min_group=summary.min_group_size
        )
        channels = f"{channels}\n{extra}" if channels else extra
    participation = msgs.SUMMARY_PARTICIPATION_TEXT.format(
        messages=summary.messages,
        members=summary.members,
        prev_messages=summary.prev_messages,
        prev_members=summary.prev_members,
    )
    if unread:
        participation += f"\n{unread}"
    fields = [(msgs.SUMMARY_MIX, mix)]
    if channels:
        fields.append((msgs.SUMMARY_CHANNELS, channels))
    fields += [(msgs.SUMMARY_PARTICIPATION, participation), (msgs.SUMMARY_FLAGS, flags)]
    compared = bool(summary.prev_families) or any(
        c.negative_change is not None for c in summary.channels
    )
    footer = msgs.SUMMARY_FOOTER.format(min_group=summary.min_group_size)
    if compared:
        footer = f"{footer} {msgs.SUMMARY_NOISE_NOTE}"
    return Card(
        title=title,
        fields=tuple(fields),
        color="neutral",
        image_png=chart_png,
        image_name="mood-summary.png",
        footer=footer,
    )
