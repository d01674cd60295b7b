"""The weekly summary's chart as a PNG (matplotlib, Agg backend: no display needed).

Two panels a moderator reads in seconds, under a one-line headline (the biggest change):

* left, the mood mix per day of the week: stacked bars, share of that day's messages, negative at
  the bottom so its height reads straight off the axis, with last week's negative share on the
  same day as a black tick;
* right, each family's share this week (in its label) and its change from last week (bars, in
  percentage points).

Outside :mod:`bot.core` because matplotlib is heavy and does I/O.
"""

from __future__ import annotations

import io
from datetime import timedelta

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bot.core.strings import FAMILY_NAMES
from bot.core.summary import FAMILY_ORDER, WeeklySummary

COLORS = {
    "positive": "#4caf50",
    "negative": "#e57373",
    "neutral": "#b0bec5",
    "ambiguous": "#ffb74d",
    "other": "#9575cd",
}
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
STACK_ORDER = ("negative", "ambiguous", "other", "neutral", "positive")  # bottom to top
NOTABLE_POINTS = 3  # a smaller change is "about the same as last week"


def _share(day: dict[str, int], family: str) -> float | None:
    total = sum(day.values())
    return day.get(family, 0) / total if total else None


def _mix_panel(ax: Axes, summary: WeeklySummary, families: list[str]) -> None:
    totals = [sum(summary.by_weekday.get(d, {}).values()) for d in range(7)]
    bottom = [0.0] * 7
    for fam in sorted(families, key=STACK_ORDER.index):
        shares = [
            summary.by_weekday.get(d, {}).get(fam, 0) / totals[d] if totals[d] else 0.0
            for d in range(7)
        ]
        ax.bar(DAYS, shares, bottom=bottom, color=COLORS[fam], label=FAMILY_NAMES[fam])
        bottom = [b + s for b, s in zip(bottom, shares, strict=True)]
    if summary.prev_by_weekday and "negative" in families:
        before = {d: _share(summary.prev_by_weekday.get(d, {}), "negative") for d in range(7)}
        ticks = {d: v for d, v in before.items() if v is not None and totals[d]}
        ax.scatter(
            list(ticks),
            list(ticks.values()),
            marker="_",
            s=500,
            linewidths=2.5,
            color="#222",
            zorder=3,
            label="Negative, same day last week",
        )
    for d, total in enumerate(totals):
        ax.text(d, 1.02, str(total), ha="center", va="bottom", fontsize=8, color="#555")
    ax.set_ylim(0, 1.12)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_title("Mood mix per day (number of messages on top)", fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(
        handles[::-1],
        labels[::-1],
        fontsize=8,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08),
        ncol=3,
        frameon=False,
    )


def _change_panel(ax: Axes, summary: WeeklySummary, families: list[str]) -> None:
    names = [f"{FAMILY_NAMES[f]} {100 * summary.families.get(f, 0.0):.0f}%" for f in families]
    if summary.prev_families:
        change = [
            100 * (summary.families.get(f, 0.0) - summary.prev_families.get(f, 0.0))
            for f in families
        ]
        bars = ax.barh(names, change, color=[COLORS[f] for f in families])
        for bar_, value in zip(bars, change, strict=True):
            ax.text(
                value,
                bar_.get_y() + bar_.get_height() / 2,
                f" {value:+.0f} " if round(value) else " ±0 ",
                va="center",
                ha="left" if value >= 0 else "right",
                fontsize=9,
            )
        ax.axvline(0, color="#333", linewidth=0.8)
        limit = max(5.0, *(abs(c) for c in change)) * 1.4
        ax.set_xlim(-limit, limit)
        ax.set_xlabel("change from last week (percentage points)", fontsize=9)
        ax.set_title("Share this week, change from last week", fontsize=10)
    else:
        shares = [100 * summary.families.get(f, 0.0) for f in families]
        ax.barh(names, shares, color=[COLORS[f] for f in families])
        ax.set_xlim(0, 100)
        ax.set_xlabel("share of messages (%); no previous week to compare", fontsize=9)
        ax.set_title("This week", fontsize=10)
    ax.invert_yaxis()


def headline(summary: WeeklySummary) -> str:
    """The one thing to notice: the family that moved most since last week."""
    if not summary.prev_families:
        return "no previous week to compare"
    changes = {
        f: summary.families.get(f, 0.0) - summary.prev_families.get(f, 0.0)
        for f in set(summary.families) | set(summary.prev_families)
    }
    family, change = max(changes.items(), key=lambda kv: abs(kv[1]))
    points = round(100 * abs(change))
    if points < NOTABLE_POINTS:
        return "about the same as last week"
    return f"{FAMILY_NAMES[family].lower()} {'up' if change > 0 else 'down'} {points} pts"


def render_summary_png(summary: WeeklySummary) -> bytes | None:
    """The chart for a summary, or None for an empty or hidden week (nothing to draw)."""
    if summary.empty or summary.hidden:
        return None
    families = [f for f in FAMILY_ORDER if summary.families.get(f) or summary.prev_families.get(f)]
    fig = Figure(figsize=(10, 4.6), dpi=100)
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    _mix_panel(left, summary, families)
    _change_panel(right, summary, families)
    last = summary.end - timedelta(seconds=1)  # the period is [start, end)
    fig.suptitle(
        f"Community mood, {summary.start:%d %b} – {last:%d %b %Y}: {headline(summary)}",
        fontsize=12,
    )
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
