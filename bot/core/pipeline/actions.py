"""Stage 6, actions: what the adapter is asked to do. A distress flag replaces the empathy
prompt (the moderators look after that person); edits and backlog replays get no prompt."""

from __future__ import annotations

from bot.core.events import Action, ChatMessage


def wants_empathy(msg: ChatMessage, flags: list[Action], *, replay: bool) -> bool:
    return not flags and not msg.is_edit and not replay


def collect(flags: list[Action], prompts: list[Action]) -> list[Action]:
    return [*flags, *prompts]
