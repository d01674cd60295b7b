"""An explanation as a PNG bar chart (matplotlib, Agg backend: no display needed).

One horizontal bar per word, strongest at the top; bars to the right (warm red) pushed the
emotion up, bars to the left (blue) held it down, each with its value. The title names the
emotion and its score, the message is printed under it. Characters the chart font cannot draw
(most emoji) are written as their Unicode names, e.g. ``[loudly crying face]×3``.
"""

from __future__ import annotations

import io
import textwrap
import unicodedata
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from classifier.explain import Explanation

UP = "#d1495b"  # pushed the emotion up
DOWN = "#2e86ab"  # held it down
TOP_WORDS = 15
MIN_SPAN = 0.05  # the x axis spans at least ±this, so tiny effects look tiny


@lru_cache(maxsize=1)
def _font() -> object:
    return font_manager.get_font(font_manager.findfont(font_manager.FontProperties()))


def _drawable(ch: str) -> bool:
    return ch.isascii() or _font().get_char_index(ord(ch)) != 0  # type: ignore[attr-defined]


def printable(text: str) -> str:
    """``text`` with symbols the font lacks replaced by ``[their name]`` (runs as ``×n``) and
    letters it lacks by ``□``."""
    out: list[str] = []
    last, count = "", 0

    def flush() -> None:
        if last:
            out.append(f"[{last}]" + (f"×{count}" if count > 1 else ""))

    for ch in text:
        if _drawable(ch):
            flush()
            last, count = "", 0
            out.append(ch)
            continue
        category = unicodedata.category(ch)
        if category[0] in "LN":  # letters of a script the font lacks: a box, not a name each
            flush()
            last, count = "", 0
            out.append("□")
            continue
        name = unicodedata.name(ch, "").lower()
        if not name or category in ("Mn", "Cf", "Sk"):
            continue  # joiners, variation selectors, skin tones: nothing to show
        if name == last:
            count += 1
        else:
            flush()
            last, count = name, 1
    flush()
    return "".join(out)


def _label(word: str, seen: dict[str, int]) -> str:
    shown = printable(word)
    shown = shown if len(shown) <= 28 else shown[:27] + "…"
    seen[shown] = seen.get(shown, 0) + 1
    return shown if seen[shown] == 1 else f"{shown} (#{seen[shown]})"


def _value(v: float) -> str:
    return f" {v:+.2f} " if abs(v) >= 0.01 or v == 0 else f" {v:+.3f} "


def render_explanation_png(explanation: Explanation, *, top: int = TOP_WORDS) -> bytes:
    """The chart as PNG bytes. An explanation without words gets a small card that says so."""
    words = explanation.words[: max(1, top)]
    emotion = explanation.emotion
    height = 1.9 + 0.36 * max(len(words), 2) if words else 1.2
    fig = Figure(figsize=(8, height), dpi=110)
    ax = fig.subplots()
    title = (
        f"Why {emotion!r}? The model gave it {explanation.base_score:.2f}"
        if words
        else f"{emotion!r} {explanation.base_score:.2f}: no words to explain"
    )
    message = textwrap.shorten(printable(explanation.text), 160, placeholder=" …")
    shown = f"“{message}”" if message else "(empty message)"
    fig.suptitle(title, fontsize=12, fontweight="bold", x=0.02, ha="left")
    ax.set_title("\n".join(textwrap.wrap(shown, 95)), fontsize=9, loc="left", color="#444")
    if not words:
        ax.axis("off")
        return _png(fig)

    seen: dict[str, int] = {}
    labels = [_label(w.word, seen) for w in words]
    values = [w.contribution for w in words]
    positions = list(range(len(words)))
    ax.barh(positions, values, color=[UP if v > 0 else DOWN for v in values], height=0.7)
    ax.set_yticks(positions, labels, fontsize=10)
    ax.invert_yaxis()
    ax.axvline(0, color="#333", linewidth=0.8)
    high, low = max(0.0, *values), max(0.0, *(-v for v in values))
    span = max(MIN_SPAN, high, low)  # the side without bars keeps a quarter, for the labels
    ax.set_xlim(-max(low, span / 4) * 1.35, max(high, span / 4) * 1.35)
    for y, value in zip(positions, values, strict=True):
        ax.text(
            value,
            y,
            _value(value),
            va="center",
            ha="left" if value >= 0 else "right",
            fontsize=8,
            color="#222",
        )
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlabel(
        f"how much the word raises the score of {emotion!r} (score − score without the word)",
        fontsize=9,
    )
    handles = [Patch(color=UP, label=f"pushed towards {emotion}")] if max(values) > 0 else []
    if min(values) < 0:
        handles.append(Patch(color=DOWN, label=f"pushed away from {emotion}"))
    if handles:
        fig.legend(handles=handles, fontsize=8, loc="upper right", frameon=False)
    hidden = len(explanation.words) - len(words)
    notes = []
    if hidden > 0:
        notes.append(f"{hidden} weaker words not shown")
    if explanation.note == "cut":
        notes.append(
            f"only the first {len(explanation.words)} of {explanation.words_total} words "
            "were explained"
        )
    notes.append(f"model {explanation.model_version}")
    fig.text(0.99, 0.005, "; ".join(notes), fontsize=7, color="#777", ha="right", va="bottom")
    return _png(fig)


def _png(fig: Figure) -> bytes:
    fig.tight_layout(rect=(0, 0.02, 1, 0.97))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
