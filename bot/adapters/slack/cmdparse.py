"""``/emotion <text>`` -> the core's subcommand and arguments, or a helpful usage message.

Slack sends the whole text after the command as one string (with ``should_escape`` on, mentions
arrive as ``<@U1|ana>`` and channels as ``<#C1|general>``; they reach the core as ids). Checks that
need nothing but the text happen here, so a mistake is answered in the acknowledgement itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.adapters.slack import strings
from bot.adapters.slack.translate import normalize_arg, parse_message_ref, plain_text

ALIASES = {"opt-out": "optout", "opt-in": "optin", "settings:": "settings", "?": "help"}
NO_ARGS = frozenset({"optout", "optin", "export", "summary", "help"})
MAX_DAYS = 365


@dataclass(frozen=True)
class ParsedCommand:
    name: str
    args: tuple[str, ...] = ()
    options: dict[str, str] = field(default_factory=dict)
    target_message_id: str | None = None


@dataclass(frozen=True)
class UsageProblem:
    """A mistake in the command text, with the message that explains it."""

    text: str


def usage(name: str) -> str:
    return strings.USAGE_LINE.format(command=strings.COMMAND, usage=strings.USAGE[name][0])


def help_text() -> str:
    lines = [strings.HELP_HEADER.format(command=strings.COMMAND)]
    lines += [f"• `{strings.COMMAND} {u}`: {what}" for u, what in strings.USAGE.values()]
    return "\n".join(lines)


def parse(text: str, *, labels: Sequence[str]) -> ParsedCommand | UsageProblem:
    """Split ``text`` into a subcommand and its arguments; explain what is wrong if anything is."""
    text = (text or "").strip()
    if not text:
        return ParsedCommand("help")
    head, _, rest = text.partition(" ")
    name = ALIASES.get(head.lower(), head.lower())
    rest = rest.strip()
    tokens = rest.split()
    if name not in strings.USAGE:
        unknown = strings.UNKNOWN_SUBCOMMAND.format(command=strings.COMMAND, name=head[:40])
        return UsageProblem(f"{unknown}\n{help_text()}")
    if name in NO_ARGS:
        if tokens and name != "help":
            return _problem(name, strings.TOO_MANY_ARGS, count=0)
        return ParsedCommand(name)
    if name == "check":
        if not rest:
            return _problem(name, strings.NEEDS_TEXT)
        return ParsedCommand(name, (plain_text(rest),))
    if name == "why":
        return _parse_why(rest)
    if name in {"me", "channel"}:
        return _parse_days(name, tokens)
    if name == "label":
        return _parse_label(tokens, labels)
    if name == "forget":
        if not tokens:
            return ParsedCommand(name)
        if len(tokens) == 1 and tokens[0].lower() in {"confirm", "yes"}:
            return ParsedCommand(name, ("confirm",), {"confirm": "yes"})
        return _problem(name, strings.TOO_MANY_ARGS, count=1)
    # settings: the core validates names and values; mentions become ids.
    return ParsedCommand(name, tuple(normalize_arg(t) for t in tokens))


def _problem(name: str, template: str, **values: object) -> UsageProblem:
    message = template.format(command=strings.COMMAND, name=name, **values)
    return UsageProblem(f"{message}\n{usage(name)}")


def _parse_days(name: str, tokens: list[str]) -> ParsedCommand | UsageProblem:
    if not tokens:
        return ParsedCommand(name)
    if len(tokens) > 1:
        return _problem(name, strings.TOO_MANY_ARGS, count=1)
    raw = tokens[0].lower().removesuffix("d").removesuffix("days")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        return UsageProblem(f"{strings.BAD_DAYS.format(value=tokens[0][:40])}\n{usage(name)}")
    days = str(int(raw))
    return ParsedCommand(name, (days,), {"days": days})


def _parse_label(tokens: list[str], labels: Sequence[str]) -> ParsedCommand | UsageProblem:
    if len(tokens) != 2:
        return UsageProblem(usage("label") + "\n" + _choices(labels))
    mid = parse_message_ref(tokens[0])
    if mid is None:
        text = strings.BAD_MESSAGE_REF.format(value=tokens[0][:80])
        return UsageProblem(f"{text}\n{usage('label')}")
    emotion = _match_label(tokens[1], labels)
    if emotion is None:
        text = strings.BAD_EMOTION.format(value=tokens[1][:40], choices=", ".join(labels))
        return UsageProblem(f"{text}\n{usage('label')}")
    return ParsedCommand("label", (mid, emotion), {"emotion": emotion})


def _parse_why(rest: str) -> ParsedCommand | UsageProblem:
    if not rest:
        return _problem("why", strings.NEEDS_TEXT)
    tokens = rest.split()
    if len(tokens) == 1:
        mid = parse_message_ref(tokens[0])
        if mid is not None:
            return ParsedCommand("why", (mid,), target_message_id=mid)
    return ParsedCommand("why", (plain_text(rest),))


def _match_label(value: str, labels: Sequence[str]) -> str | None:
    wanted = value.strip().lower().replace("-", "_")
    for label in labels:
        if label.lower() == wanted:
            return label
    return None if labels else value


def _choices(labels: Sequence[str]) -> str:
    return strings.EMOTION_CHOICES.format(labels=", ".join(labels)) if labels else ""
