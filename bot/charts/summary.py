"""The weekly summary's chart as a PNG (matplotlib, Agg backend: no display needed).

Two panels a moderator reads in seconds, under a one-line headline (the clearest change, or that
nothing moved beyond noise):

* left, the mood mix per calendar date in the community's time zone (named in the panel's title):
  stacked bars, share of that day's messages, negative at the bottom so its height reads straight
  off the axis, with the negative share on the same day of the previous period as a black tick;
  an on-demand summary of the last 7 days spans 8 dates (last Wednesday and today are two bars);
* right, each family's share this week (in its label) and its change from last week in
  percentage points, with its 95% margin as a whisker; a hatched, hollow bar is within noise.

Colours are Okabe–Ito's (blue positive, vermillion negative, grey neutral): they stay apart with
protanopia and deuteranopia, where the usual green/red pair merges.

Outside :mod:`bot.core` because matplotlib is heavy and does I/O.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import matplotlib

matplotlib.use("Agg")

from matplotlib import colors, transforms
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bot.core.change import ShareChange, margin_points
from bot.core.strings import FAMILY_NAMES
from bot.core.summary import FAMILY_ORDER, WeeklySummary, change_words

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour vision
# deficiency (tests/charts/test_summary_chart.py checks it by simulating protanopia and
# deuteranopia).
COLORS = {
    "positive": "#0072B2",  # blue
    "negative": "#D55E00",  # vermillion
    "neutral": "#BBBBBB",  # grey
    "ambiguous": "#F0E442",  # yellow
    "other": "#56B4E9",  # sky blue
}
STACK_ORDER = ("negative", "ambiguous", "other", "neutral", "positive")  # bottom to top


def _share(day: dict[str, int], family: str) -> float | None:
    total = sum(day.values())
    return day.get(family, 0) / total if total else None


def day_label(day: date) -> str:
    """``Wed\\n25 Nov``: a date, not a weekday name, so two Wednesdays are never merged."""
    return f"{day:%a}\n{day:%d %b}".replace("\n0", "\n")


def _mix_panel(ax: Axes, summary: WeeklySummary, families: list[str]) -> None:
    days = list(summary.by_day)
    x = list(range(len(days)))
    totals = [sum(summary.by_day[d].values()) for d in days]
    bottom = [0.0] * len(days)
    for fam in sorted(families, key=STACK_ORDER.index):
        shares = [
            summary.by_day[d].get(fam, 0) / total if total else 0.0
            for d, total in zip(days, totals, strict=True)
        ]
        ax.bar(
            x,
            shares,
            bottom=bottom,
            color=COLORS[fam],
            edgecolor="white",
            linewidth=0.6,
            label=FAMILY_NAMES[fam],
        )
        bottom = [b + s for b, s in zip(bottom, shares, strict=True)]
    if summary.prev_by_day and "negative" in families:
        back = summary.days_between_periods
        ticks: dict[int, float] = {}
        for i, d in enumerate(days):
            before = summary.prev_by_day.get(d - timedelta(days=back))
            value = _share(before, "negative") if before else None
            if value is not None and totals[i]:
                ticks[i] = value
        ax.scatter(
            list(ticks),
            list(ticks.values()),
            marker="_",
            s=500,
            linewidths=2.5,
            color="#222",
            zorder=3,
            label="Negative, same day last week" if back == 7 else f"Negative, {back} days before",
        )
    for i, total in enumerate(totals):
        ax.text(i, 1.02, str(total), ha="center", va="bottom", fontsize=8, color="#555")
    ax.set_xticks(x, [day_label(d) for d in days], fontsize=8)
    ax.set_xlim(-0.6, len(days) - 0.4)
    ax.set_ylim(0, 1.12)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_title(
        f"Mood mix per day, days in {summary.timezone_name} (messages on top)", fontsize=10
    )
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(
        handles[::-1],
        labels[::-1],
        fontsize=8,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncol=3,
        frameon=False,
    )


def bar_label(change: ShareChange) -> str:
    """The text beside a change bar: ``+5 ± 5``, with ``(noise)`` when within noise, and
    ``no change`` when it rounds to 0 (never "±0" beside a visible bar)."""
    if change.points == 0:
        return "no change"
    text = f"{change.points:+d} ± {margin_points(change)}".replace("-", "−")
    return text if change.beyond_noise else f"{text} (noise)"


def _change_panel(ax: Axes, summary: WeeklySummary, families: list[str]) -> None:
    names = [f"{FAMILY_NAMES[f]} {100 * summary.families.get(f, 0.0):.0f}%" for f in families]
    changes = [summary.family_change(f) for f in families]
    if all(c is not None for c in changes):
        known = [c for c in changes if c is not None]
        values = [100 * c.diff for c in known]
        margins = [100 * c.margin for c in known]
        # the labels stand in a column right of the panel: never over a bar, a whisker or a name
        column = transforms.blended_transform_factory(ax.transAxes, ax.transData)
        for i, (fam, change) in enumerate(zip(families, known, strict=True)):
            solid = change.beyond_noise
            ax.barh(
                i,
                values[i],
                color=COLORS[fam] if solid else colors.to_rgba(COLORS[fam], 0.45),
                edgecolor="none" if solid else "#444",
                hatch=None if solid else "///",
                linewidth=0.8,
            )
            ax.errorbar(
                values[i], i, xerr=margins[i], color="#333", capsize=4, linewidth=1, zorder=3
            )
            ax.text(1.03, i, bar_label(change), transform=column, va="center", fontsize=9)
        ax.set_yticks(range(len(families)), names)
        ax.axvline(0, color="#333", linewidth=0.8)
        reach = max(5.0, *(abs(v) + m for v, m in zip(values, margins, strict=True)))
        ax.set_xlim(-reach * 1.15, reach * 1.15)
        ax.set_xlabel(
            "change in percentage points; whisker: 95% margin; hatched: within noise", fontsize=8
        )
        ax.set_title("Share this week, change from last week", fontsize=10)
    else:
        shares = [100 * summary.families.get(f, 0.0) for f in families]
        ax.barh(names, shares, color=[COLORS[f] for f in families])
        ax.set_xlim(0, 100)
        ax.set_xlabel("share of messages (%); no previous week to compare", fontsize=9)
        ax.set_title("This week", fontsize=10)
    ax.invert_yaxis()


def headline(summary: WeeklySummary) -> str:
    """The one thing to notice: the family whose change is clearest (most standard errors), if
    any is more than chance would explain; otherwise that nothing moved beyond noise."""
    if not summary.prev_families:
        return "no previous week to compare"
    changes = {
        f: change
        for f in FAMILY_ORDER
        if (change := summary.family_change(f)) is not None and (change.now or change.before)
    }
    family, change = max(changes.items(), key=lambda kv: abs(kv[1].z))
    if change.beyond_noise:
        return f"{FAMILY_NAMES[family].lower()} {change_words(change)}"
    if change.points == 0:
        return "the same mix as last week"
    largest = f"{FAMILY_NAMES[family].lower()} {change_words(change, noise=False)}"
    return f"no change beyond noise (largest: {largest})"


def summary_figure(summary: WeeklySummary) -> Figure | None:
    """The chart's figure (tests read its labels), or None for an empty or hidden week."""
    if summary.empty or summary.hidden:
        return None
    families = [f for f in FAMILY_ORDER if summary.families.get(f) or summary.prev_families.get(f)]
    fig = Figure(figsize=(11, 5), dpi=100)
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    _mix_panel(left, summary, families)
    _change_panel(right, summary, families)
    fig.suptitle(
        f"Community mood, {summary.local_start:%d %b} – {summary.local_last:%d %b %Y}: "
        f"{headline(summary)}",
        fontsize=12,
    )
    fig.tight_layout()
    return fig


def render_summary_png(summary: WeeklySummary) -> bytes | None:
    """The chart for a summary, or None for an empty or hidden week (nothing to draw)."""
    fig = summary_figure(summary)
    if fig is None:
        return None
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
