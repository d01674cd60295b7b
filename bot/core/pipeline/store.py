"""Stage 3, store: one row per message (labels and scores, never the text). The save says
whether this process wrote the row (only then does it act on the message: several processes may
get the same event) or the author had opted out meanwhile (nothing stored). A failed save (after
a retry) keeps the classification in the backlog instead of failing the message."""

from __future__ import annotations

import logging

from bot.core.backlog import MAX_RETRIES, MAX_SAVE_RETRIES, DeadLetter
from bot.core.deps import Deps
from bot.core.events import ChatMessage
from bot.core.ports import SaveOutcome
from classifier.prediction import Prediction

logger = logging.getLogger(__name__)


async def save(deps: Deps, msg: ChatMessage, prediction: Prediction) -> SaveOutcome | None:
    """What the save did (:data:`~bot.core.ports.SaveOutcome`); None when it failed and the
    classification waits in the backlog."""
    platform = msg.channel.community.platform
    try:
        outcome = await deps.db(deps.store.save_classification, msg, prediction)
    except Exception as exc:
        logger.error("message %s/%s: not stored (%s); kept for a retry", platform, msg.id, exc)
        deps.backlog.healthy = False
        keep(deps, "store", unsaved=(msg, prediction))
        return None
    deps.backlog.healthy = True
    counted(deps, msg, outcome)
    return outcome


def counted(deps: Deps, msg: ChatMessage, outcome: SaveOutcome) -> None:
    """Count a save; an author found opted out is forgotten from memory too."""
    if outcome == "stored":
        deps.stats["stored"] += 1
    elif outcome == "duplicate":
        deps.stats["duplicate"] += 1
        logger.debug("message %s: stored already (another process or a redelivery)", msg.id)
    else:
        deps.stats["skipped_opted_out"] += 1
        deps.saw_opt_out(msg.author)
        logger.debug("message %s: its author opted out meanwhile; not stored", msg.id)


def keep(
    deps: Deps,
    why: str,
    *,
    unclassified: ChatMessage | None = None,
    unsaved: tuple[ChatMessage, Prediction] | None = None,
) -> None:
    """Put a message (or a classification not yet saved) in the backlog."""
    deps.stats[f"backlog_{why}"] += 1
    backlog, limit = deps.backlog, deps.options.backlog_limit
    if unclassified is not None:
        backlog.keep(backlog.unclassified, unclassified, limit=limit, stats=deps.stats)
    if unsaved is not None:
        backlog.keep(backlog.unsaved, unsaved, limit=limit, stats=deps.stats)


async def retry_unsaved(deps: Deps, limit: int) -> bool:
    """Save the backlog's classifications again; False when the store still fails.

    A classification whose save fails goes to the back of the queue (it never blocks the ones
    behind it); after ``MAX_SAVE_RETRIES`` failed saves it goes to the dead letters, logged once."""
    backlog = deps.backlog
    unsaved = backlog.unsaved
    for _ in range(min(limit, len(unsaved))):
        msg, prediction = unsaved.popleft()
        try:
            outcome = await deps.db(deps.store.save_classification, msg, prediction, retry=False)
        except Exception as exc:
            backlog.save_failures[msg.id] += 1
            if backlog.save_failures[msg.id] >= MAX_SAVE_RETRIES:
                dead_letter(deps, msg, exc)
                continue
            unsaved.append((msg, prediction))
            return False
        backlog.save_failures.pop(msg.id, None)
        counted(deps, msg, outcome)
        logger.info("message %s saved on retry (%s)", msg.id, outcome)
    return True


def dead_letter(deps: Deps, msg: ChatMessage, exc: Exception) -> None:
    """Give up saving ``msg`` for good: keep its id and the reason (never the text), log once."""
    platform = msg.channel.community.platform
    reason = f"{type(exc).__name__}: {exc}"[:500]
    deps.backlog.save_failures.pop(msg.id, None)
    deps.backlog.dead_letters.append(DeadLetter(platform, msg.id, reason))
    deps.stats["dead_letter"] += 1
    logger.error(
        "message %s/%s: dead letter, not stored after %d tries (%s)",
        platform,
        msg.id,
        MAX_SAVE_RETRIES,
        type(exc).__name__,
    )


def retry_again(deps: Deps, msg: ChatMessage, exc: Exception) -> bool:
    """Count a failed retry of ``msg``; True while it should stay in the backlog."""
    retries = deps.backlog.retries
    retries[msg.id] += 1
    if retries[msg.id] >= MAX_RETRIES:
        logger.error("message %s: given up after %d retries (%s)", msg.id, MAX_RETRIES, exc)
        deps.stats["given_up"] += 1
        del retries[msg.id]
        return False
    logger.info("message %s: retry failed again (%s)", msg.id, exc)
    return True
