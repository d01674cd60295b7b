"""Stage 5, empathy: a gentle private prompt when someone is clearly struggling (the policy in
:func:`bot.core.policy.wants_empathy`: thresholds and switches), at most one per member and per
channel within the cooldowns. The cooldowns are taken in the database
(``MessageStore.claim_empathy``), so they hold across processes and restarts: of two processes
seeing two sad messages a second apart, one prompts."""

from __future__ import annotations

import logging

from bot.core import policy, strings
from bot.core.deps import Deps
from bot.core.distress.resources import community_resources
from bot.core.events import Action, ChatMessage, EmpathyPrompt
from classifier.prediction import Prediction

logger = logging.getLogger(__name__)


async def prompt(
    deps: Deps, msg: ChatMessage, prediction: Prediction, *, at_risk: bool = False
) -> list[Action]:
    """``at_risk``: medium distress risk; the prompt then carries the crisis resources and always
    goes privately (a direct message), never into a thread others can read."""
    community = await deps.community_settings(msg.channel.community)
    channel = await deps.channel_settings(msg.channel)
    platform, community_id = msg.channel.community.platform, msg.channel.community.id
    decision = policy.wants_empathy(
        prediction,
        deps.scheme,
        community=community,
        channel=channel,
        default_threshold=deps.options.empathy_threshold,
        at_risk=at_risk,
    )
    if decision.prompt:
        member_key = (platform, community_id, msg.author.id)
        channel_key = (platform, community_id, msg.channel.id)
        now = deps.clock()
        # This process's own recent prompts hold for certain (the database has them too): no
        # round trip for them. Otherwise the database decides, for every process at once.
        blocked = deps.cooldowns.blocked(member_key, channel_key, now)
        if blocked is None:
            try:
                blocked = await deps.db(
                    deps.store.claim_empathy,
                    platform=platform,
                    community_id=community_id,
                    user_id=msg.author.id,
                    channel_id=msg.channel.id,
                    now=now,
                    member_cooldown=deps.options.member_cooldown,
                    channel_cooldown=deps.options.channel_cooldown,
                )
            except Exception as exc:
                # The store fails: this process's memory decided, so the member is not left
                # without a prompt (another process may prompt too, in this failure only).
                logger.error("message %s: empathy cooldown not in the database (%s)", msg.id, exc)
        if blocked:
            decision = policy.held_back(decision, blocked)
        else:
            deps.cooldowns.mark(member_key, channel_key, now)
    deps.stats[f"empathy_{decision.reason}"] += 1
    if not decision.prompt:
        return []
    logger.info(
        "empathy prompt for message %s (%s %.2f >= %.2f)",
        msg.id,
        decision.label,
        decision.score,
        decision.threshold,
    )
    text = strings.empathy_prompt(msg.author.name, msg.id)
    if at_risk:
        resources = community_resources(
            community.crisis_resources, community.crisis_country, deps.options.crisis_resources
        )
        text = f"{text}\n{strings.EMPATHY_RESOURCES.format(resources=resources)}"
    return [
        EmpathyPrompt(
            user=msg.author,
            channel=msg.channel,
            text=text,
            message_id=msg.id,
            thread_id=msg.thread_id,
            mode="dm" if at_risk else community.empathy_mode,
        )
    ]
