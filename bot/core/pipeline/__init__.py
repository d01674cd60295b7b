"""The message path, as named stages run in this order (each a small module):

    skip rules -> classify -> store -> distress -> empathy -> actions

The store decides whether the rest runs: several processes may get the same event (a Slack app
behind a load balancer), and only the one whose insert of the message wins raises flags and sends
prompts; a message whose author opted out meanwhile is not stored and triggers nothing.

:func:`process` runs them for one message and may raise (the facade,
:class:`~bot.core.service.EmotionService`, keeps a failed message for a retry and never lets a
failure escape); :func:`retry_pending` replays the backlog.
"""

from __future__ import annotations

import logging

from bot.core.deps import Deps
from bot.core.events import Action, ChatMessage
from bot.core.pipeline import actions, classify, distress, empathy, skip, store

logger = logging.getLogger(__name__)


async def process(deps: Deps, msg: ChatMessage, *, replay: bool = False) -> list[Action]:
    """One message through every stage; returns what the adapter should do."""
    reason = await skip.reason(deps, msg)
    if reason == "direct":
        return await skip.direct(deps, msg)
    if reason is not None:
        return skip.skipped(deps, msg, reason)
    prediction = await classify.classify(deps, msg, replay=replay)
    outcome = await store.save(deps, msg, prediction)
    if outcome == "opted_out":
        return []
    if outcome == "duplicate" and not replay:
        # A replay follows a failure of this process after or during its own save, so its row
        # may be its own: distress is checked again (the open flag is de-duplicated in the
        # database); a replay never prompts.
        return []
    flags, risk = await distress.check(deps, msg, prediction)
    prompts = []
    if actions.wants_empathy(msg, flags, replay=replay):
        prompts = await empathy.prompt(deps, msg, prediction, at_risk=risk.level == "medium")
    return actions.collect(flags, prompts)


async def retry_pending(deps: Deps, limit: int = 100) -> list[Action]:
    """Retry backlog events (oldest first); returns any distress flags they raise."""
    backlog = deps.backlog
    backlog.draining = True
    found: list[Action] = []
    try:
        if not await store.retry_unsaved(deps, limit):
            return found
        for _ in range(min(limit, len(backlog.unclassified))):
            msg = backlog.unclassified.popleft()
            try:
                found += await process(deps, msg, replay=True)
            except Exception as exc:
                if store.retry_again(deps, msg, exc):
                    backlog.unclassified.appendleft(msg)
                return found
            backlog.retries.pop(msg.id, None)
            logger.info("message %s processed on retry", msg.id)
    finally:
        backlog.draining = False
    return found
