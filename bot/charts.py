"""The weekly summary's chart as a PNG (matplotlib, Agg backend: no display needed).

Two panels a moderator reads in seconds: left, the mood mix per day of the week (stacked bars,
share of that day's messages); right, each family's share this week against last week
(percentage points). Outside :mod:`bot.core` because matplotlib is heavy and does I/O.
"""

from __future__ import annotations

import io
from datetime import timedelta

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bot.core.messages import FAMILY_NAMES
from bot.core.summary import FAMILY_ORDER, WeeklySummary

COLORS = {
    "positive": "#4caf50",
    "negative": "#e57373",
    "neutral": "#b0bec5",
    "ambiguous": "#ffb74d",
    "other": "#9575cd",
}
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _mix_panel(ax: Axes, summary: WeeklySummary, families: list[str]) -> None:
    totals = [sum(summary.by_weekday.get(d, {}).values()) for d in range(7)]
    bottom = [0.0] * 7
    for fam in families:
        shares = [
            summary.by_weekday.get(d, {}).get(fam, 0) / totals[d] if totals[d] else 0.0
            for d in range(7)
        ]
        ax.bar(DAYS, shares, bottom=bottom, color=COLORS[fam], label=FAMILY_NAMES[fam])
        bottom = [b + s for b, s in zip(bottom, shares, strict=True)]
    for d, total in enumerate(totals):
        ax.text(d, 1.02, str(total), ha="center", va="bottom", fontsize=8, color="#555")
    ax.set_ylim(0, 1.12)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_title("Mood mix per day (messages on top)", fontsize=10)
    ax.legend(
        fontsize=8,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08),
        ncol=len(families),
        frameon=False,
    )


def _change_panel(ax: Axes, summary: WeeklySummary, families: list[str]) -> None:
    names = [FAMILY_NAMES[f] for f in families]
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
                f" {value:+.0f} ",
                va="center",
                ha="left" if value >= 0 else "right",
                fontsize=9,
            )
        ax.axvline(0, color="#333", linewidth=0.8)
        limit = max(5.0, *(abs(c) for c in change)) * 1.4
        ax.set_xlim(-limit, limit)
        ax.set_xlabel("change from last week (percentage points)", fontsize=9)
        ax.set_title("This week vs last week", fontsize=10)
    else:
        shares = [100 * summary.families.get(f, 0.0) for f in families]
        ax.barh(names, shares, color=[COLORS[f] for f in families])
        ax.set_xlim(0, 100)
        ax.set_xlabel("share of messages (%); no previous week to compare", fontsize=9)
        ax.set_title("This week", fontsize=10)
    ax.invert_yaxis()


def render_summary_png(summary: WeeklySummary) -> bytes | None:
    """The chart for a summary, or None for an empty or hidden week (nothing to draw)."""
    if summary.empty or summary.hidden:
        return None
    families = [f for f in FAMILY_ORDER if summary.families.get(f) or summary.prev_families.get(f)]
    fig = Figure(figsize=(10, 4), dpi=100)
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    _mix_panel(left, summary, families)
    _change_panel(right, summary, families)
    last = summary.end - timedelta(seconds=1)  # the period is [start, end)
    fig.suptitle(f"Community mood, {summary.start:%d %b} – {last:%d %b %Y}", fontsize=12)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
