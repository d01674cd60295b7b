"""A reviewed flag as an example: after *False alarm* or *Resolved*, the moderator who pressed it
is asked, privately, whether to add the message as an example (a hard negative, or a risk
exemplar) of the community; only their confirmation adds it (:mod:`.community`).

The buttons are flag actions (``flag:<id>:add_example`` / ``flag:<id>:no_example``), so every
adapter routes them through the flag review, which checks that the person is a moderator.
The text is the one the service saw (in memory for a day): after that, or a restart, nothing can
be added.
"""

from __future__ import annotations

import logging

from bot.core import strings as msgs
from bot.core.deps import Deps
from bot.core.distress import community as exemplars
from bot.core.distress.cards import excerpt
from bot.core.events import Action, Card, ChannelRef, CommunityRef, Reply, UserRef
from bot.core.records import FlagRecord

logger = logging.getLogger(__name__)

ADD, DECLINE = (state for state, _ in msgs.EXAMPLE_BUTTONS)
ANSWERS = (ADD, DECLINE)
KIND_OF_STATE = {"false_alarm": "safe", "resolved": "risk"}


def _text(deps: Deps, flag: FlagRecord) -> str | None:
    recent = deps.texts.get(flag.platform, flag.message_id, deps.clock())
    if recent is None or recent.user_id != flag.user_id:
        return None
    return recent.text


def _available(deps: Deps) -> bool:
    return exemplars.exemplar_store(deps) is not None and deps.distress_model()[0] is not None


def offer(deps: Deps, flag: FlagRecord, moderator: UserRef, where: ChannelRef) -> list[Action]:
    """The private question after a review to ``flag.state`` (nothing for other states)."""
    kind = KIND_OF_STATE.get(flag.state)
    if kind is None or not _available(deps):
        return []
    text = _text(deps, flag)
    if text is None:
        return [Reply(channel=where, text=msgs.EXAMPLE_NO_TEXT, private_to=moderator)]
    card = Card(
        title=msgs.EXAMPLE_TITLE,
        body=msgs.EXAMPLE_OFFER[kind],
        fields=((msgs.FLAG_FIELD_MESSAGE, excerpt(text)),),
        buttons=tuple((f"flag:{flag.id}:{state}", label) for state, label in msgs.EXAMPLE_BUTTONS),
        footer=msgs.EXAMPLE_NOTE,
    )
    return [Reply(channel=where, card=card, private_to=moderator)]


async def answer(
    deps: Deps, flag: FlagRecord, answer: str, moderator: UserRef, where: ChannelRef
) -> list[Action]:
    """The moderator (already checked to be one) pressed *Add example* or *No*."""

    def say(text: str) -> list[Action]:
        return [Reply(channel=where, text=text, private_to=moderator)]

    if answer == DECLINE:
        return say(msgs.EXAMPLE_DECLINED)
    kind = KIND_OF_STATE.get(flag.state)
    if kind is None:
        return say(msgs.EXAMPLE_NOT_REVIEWED.format(flag_id=flag.id))
    store = exemplars.exemplar_store(deps)
    base = deps.distress_model()[0]
    text = _text(deps, flag)
    if store is None or base is None or text is None:
        return say(msgs.EXAMPLE_NO_TEXT)
    prediction = await deps.classify(text)
    embedding = prediction.embedding
    if embedding is None or not embedding.any():
        return say(msgs.EXAMPLE_UNREADABLE)
    community = CommunityRef(flag.platform, flag.community_id)
    category = exemplars.SAFE_CATEGORY
    if kind == "risk":
        built = await exemplars.matcher_for(deps, community, base)
        match = (built.matcher if built is not None else base).match(embedding)
        category = match.category if match is not None else exemplars.RISK_CATEGORY
    added = await deps.db(
        store.add,
        exemplars.CommunityExemplar(
            platform=flag.platform,
            community_id=flag.community_id,
            kind=kind,
            category=category,
            text=text,
            author_id=flag.user_id,
            message_id=flag.message_id,
            added_by=moderator.id,
            added_at=deps.clock(),
            model_version=prediction.model_version,
            embedding=embedding,
            flag_id=flag.id,
        ),
    )
    if added is None:
        return say(msgs.EXAMPLE_ALREADY)
    exemplars.invalidate(deps, community)
    deps.stats[f"distress_example_{kind}"] += 1
    logger.info("flag #%d: message added as a %s example by %s", flag.id, kind, moderator.id)
    return say(msgs.EXAMPLE_ADDED[kind])
