"""Distress flags: raising one for a member (or updating the open one) and a moderator's review.

Flags go to the moderators only; the cards are rebuilt on review (the card of a flag raised by
this process is remembered in memory, so its message excerpt survives the review).
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.core import policy
from bot.core import strings as msgs
from bot.core.deps import Deps
from bot.core.distress import detector, reviewed
from bot.core.distress.cards import flag_card, reviewed_card
from bot.core.distress.resources import community_resources
from bot.core.events import (
    Action,
    ChannelRef,
    ChatMessage,
    CommunityRef,
    DistressFlag,
    Reply,
    UpdateFlagMessage,
    UserRef,
)
from bot.core.records import CommunitySettings, FlagRecord

logger = logging.getLogger(__name__)

REVIEW_STATES = ("acknowledged", "resolved", "false_alarm")


def who(user: UserRef) -> str:
    """How a person is named to moderators: display name and id."""
    return f"{user.name} ({user.id})" if user.name and user.name != user.id else user.id


def resources(deps: Deps, settings: CommunitySettings) -> str:
    return community_resources(
        settings.crisis_resources, settings.crisis_country, deps.options.crisis_resources
    )


def _evidence(result: detector.Assessment, earlier: int) -> str:
    if earlier:
        return f"{result.reason}; {msgs.FLAG_EARLIER.format(n=earlier)}"
    return result.reason


async def raise_flag(deps: Deps, msg: ChatMessage, result: detector.Assessment) -> list[Action]:
    """A message of medium or high risk: flag the member, or update the flag already open.

    High flags on its own; medium flags when the same member wrote another medium-or-higher
    message within ``distress_pair_window``. A member has at most one open flag (a partial
    unique index: whichever process raises it). With one open, a message of higher risk updates
    it (new evidence on a new card, so the moderators are pinged again), as does any flagging
    message once the flag has gone ``distress_dedup`` without news; anything else is logged, not
    re-flagged.
    """
    community, now = msg.channel.community, deps.clock()
    earlier = await deps.note_risk(msg, now, deps.options.distress_pair_window)
    if result.level != "high" and not earlier:
        logger.info("message %s: medium distress evidence kept for 24 h", msg.id)
        deps.stats["distress_evidence"] += 1
        return []
    reason = _evidence(result, earlier)
    async with deps.flag_lock:
        record, update = await _flag_or_update(deps, msg, result, reason, now)
    if record is None:  # de-duplicated: the member's open flag holds as high a risk
        return []
    settings = await deps.community_settings(community)
    card = flag_card(
        record,
        member=who(msg.author),
        channel=msg.channel.name or msg.channel.id,
        resources=resources(deps, settings),
        assessment=result,
        reason=reason,
        text=msg.text,
        update=update,
    )
    deps.remember_card(record.id, card)
    deps.stats["distress_updated" if update else "distress_flagged"] += 1
    logger.warning(
        "distress flag #%d %s for message %s (%s, %.2f)",
        record.id,
        "updated" if update else "raised",
        msg.id,
        result.level,
        result.score,
    )
    return [
        DistressFlag(
            flag_id=record.id,
            community=community,
            mod_channel_id=settings.mod_channel_id,
            card=card,
            user=msg.author,
            message_id=msg.id,
        )
    ]


async def _flag_or_update(
    deps: Deps, msg: ChatMessage, result: detector.Assessment, reason: str, now: datetime
) -> tuple[FlagRecord | None, bool]:
    """The new flag (False) or the updated open one (True); None when de-duplicated. Another
    process may raise, update or a moderator review the member's open flag meanwhile: the
    database decides (the insert and the update are conditional), and a flag closed between
    the two steps is looked for again (a bounded number of times)."""
    community = msg.channel.community
    flag = await deps.db(deps.store.open_flag_for, community.platform, msg.author.id)
    for _ in range(3):
        if flag is None:
            record = await deps.db(
                deps.store.add_flag,
                FlagRecord(
                    id=0,
                    platform=community.platform,
                    community_id=community.id,
                    channel_id=msg.channel.id,
                    user_id=msg.author.id,
                    message_id=msg.id,
                    created_at=now,
                    reason=reason,
                    score=result.score,
                    permalink=msg.permalink,
                ),
            )
            if record is not None:
                return record, False
            flag = await deps.db(deps.store.open_flag_for, community.platform, msg.author.id)
            continue
        record = await deps.db(
            deps.store.update_open_flag,
            flag.id,
            score=result.score,
            reason=reason,
            message_id=msg.id,
            at=now,
            quiet_since=now - deps.options.distress_dedup,
        )
        if record is not None:
            return record, True
        still = await deps.db(deps.store.get_flag, flag.id)
        if still is not None and still.state == "open":
            logger.info(
                "message %s: distress %.2f, flag #%d already open", msg.id, result.score, flag.id
            )
            deps.stats["distress_deduplicated"] += 1
            return None, False
        flag = None  # reviewed or forgotten meanwhile: raise a new one
    logger.warning("message %s: the member's open flag kept changing; not flagged", msg.id)
    return None, False


async def review_flag(deps: Deps, flag_id: int, state: str, moderator: UserRef) -> list[Action]:
    """A moderator pressed a flag button: record it and re-render the flag's card."""
    flag = await deps.db(deps.store.get_flag, flag_id)
    if flag is None:
        logger.warning("review of unknown flag #%d by %s", flag_id, moderator.id)
        # No flag, so no community to name: the adapters answer a private reply on the
        # interaction (button or command) the moderator used.
        nowhere = ChannelRef(CommunityRef(moderator.platform, ""), "")
        text = msgs.FLAG_NOT_FOUND.format(flag_id=flag_id)
        return [Reply(channel=nowhere, text=text, private_to=moderator)]
    community = CommunityRef(flag.platform, flag.community_id)
    settings = await deps.community_settings(community)
    where = ChannelRef(community, settings.mod_channel_id or flag.channel_id)
    if not policy.is_moderator(moderator, settings):
        text = msgs.FLAG_MODERATORS_ONLY
        return [Reply(channel=where, text=text, private_to=moderator)]
    if state in reviewed.ANSWERS:  # "add this message as an example?" (after a review)
        return await reviewed.answer(deps, flag, state, moderator, where)
    if state not in REVIEW_STATES:
        text = msgs.FLAG_BAD_STATE.format(state=state)
        return [Reply(channel=where, text=text, private_to=moderator)]
    updated = await deps.db(
        deps.store.set_flag_state, flag_id, state, by=moderator.id, at=deps.clock()
    )
    if updated is None:
        return []
    original = deps.flag_cards.get(flag_id) or flag_card(
        flag,
        member=flag.user_id,
        channel=flag.channel_id,
        resources=resources(deps, settings),
    )
    card = reviewed_card(original, updated, who=who(moderator))
    deps.remember_card(flag_id, card)
    logger.info("flag #%d marked %s by %s", flag_id, state, moderator.id)
    state_name = msgs.FLAG_STATE_NAMES[state].lower()
    return [
        UpdateFlagMessage(flag_id=flag_id, card=card),
        Reply(
            channel=where,
            text=msgs.FLAG_REVIEWED.format(flag_id=flag_id, state=state_name),
            private_to=moderator,
        ),
        *reviewed.offer(deps, updated, moderator, where),
    ]
