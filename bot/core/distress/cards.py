"""Distress-flag cards: what the moderators' channel shows, before and after a review."""

from __future__ import annotations

from bot.core import strings as msgs
from bot.core.distress.detector import Assessment
from bot.core.events import Card
from bot.core.records import FlagRecord

EXCERPT_CHARS = 300


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def flag_buttons(flag_id: int) -> tuple[tuple[str, str], ...]:
    """Buttons with action ids ``flag:<id>:<state>``."""
    return tuple((f"flag:{flag_id}:{state}", label) for state, label in msgs.FLAG_BUTTONS)


def parse_flag_action(action_id: str) -> tuple[int, str] | None:
    """``"flag:12:resolved"`` -> ``(12, "resolved")``; None when it is not a flag action."""
    parts = action_id.split(":")
    if len(parts) != 3 or parts[0] != "flag" or not parts[1].isdigit():
        return None
    return int(parts[1]), parts[2]


def flag_card(
    flag: FlagRecord,
    *,
    member: str,
    channel: str,
    resources: str,
    assessment: Assessment | None = None,
    reason: str | None = None,
    text: str | None = None,
    update: bool = False,
) -> Card:
    """The card for a flag: context, scores, a link and (while not closed) review buttons.

    ``update``: a later message of higher risk while the flag was open (a new card, so the
    moderators see it again, with the same flag number and buttons).
    """
    score = f"{flag.score:.2f}"
    if assessment is not None:
        score += f" ({msgs.FLAG_LEVELS[assessment.level]})"
    fields: list[tuple[str, str]] = [
        (msgs.FLAG_FIELD_MEMBER, member),
        (msgs.FLAG_FIELD_CHANNEL, f"#{channel}"),
        (msgs.FLAG_FIELD_SCORE, score),
        (msgs.FLAG_FIELD_WHY, reason or flag.reason),
    ]
    if text:
        fields.append((msgs.FLAG_FIELD_MESSAGE, excerpt(text)))
    state = msgs.FLAG_STATE_NAMES.get(flag.state, flag.state)
    if flag.reviewed_by and flag.reviewed_at is not None:
        state = msgs.FLAG_REVIEWED_BY.format(
            state=state, who=flag.reviewed_by, when=f"{flag.reviewed_at:%Y-%m-%d %H:%M} UTC"
        )
    fields.append((msgs.FLAG_FIELD_STATE, state))
    closed = flag.state in ("resolved", "false_alarm")
    return Card(
        title=f"{msgs.FLAG_UPDATE_TITLE if update else msgs.FLAG_TITLE} (#{flag.id})",
        fields=tuple(fields),
        link=flag.permalink,
        color="good" if closed else ("warning" if flag.state == "acknowledged" else "danger"),
        buttons=() if closed else flag_buttons(flag.id),
        footer=msgs.FLAG_FOOTER.format(resources=resources),
    )


def reviewed_card(original: Card, flag: FlagRecord, *, who: str) -> Card:
    """``original`` with its state line, colour and buttons brought up to date after a review."""
    state = msgs.FLAG_REVIEWED_BY.format(
        state=msgs.FLAG_STATE_NAMES.get(flag.state, flag.state),
        who=who,
        when=f"{flag.reviewed_at:%Y-%m-%d %H:%M} UTC" if flag.reviewed_at else "?",
    )
    fields = tuple(f for f in original.fields if f[0] != msgs.FLAG_FIELD_STATE)
    closed = flag.state in ("resolved", "false_alarm")
    return Card(
        title=original.title,
        body=original.body,
        fields=(*fields, (msgs.FLAG_FIELD_STATE, state)),
        link=original.link,
        color="good" if closed else ("warning" if flag.state == "acknowledged" else "danger"),
        buttons=() if closed else flag_buttons(flag.id),
        footer=original.footer,
    )
