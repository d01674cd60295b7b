"""Stage 4, distress: an active distress phrase (not negated, not quoted) sends the message to
the flag desk (:mod:`bot.core.distress.desk`), which assesses it and raises a flag to the
moderators at most once per open window."""

from __future__ import annotations

from bot.core.deps import Deps
from bot.core.distress import desk, detector
from bot.core.events import Action, ChatMessage
from classifier.prediction import Prediction


async def check(deps: Deps, msg: ChatMessage, prediction: Prediction) -> list[Action]:
    matches = detector.scan(msg.text[: deps.options.max_text_chars])
    if not detector.has_active(matches):
        return []
    return await desk.raise_flag(deps, msg, prediction, matches)
