"""How jobs reach moderators: each adapter that serves communities provides a notifier."""

from __future__ import annotations

from typing import Protocol

from bot.core.events import Card, CommunityRef


class ModeratorNotifier(Protocol):
    """Posts a card to a community's moderators' channel (Discord embed, Slack blocks, console
    text). Used for the weekly summary and for job notices (a failed retraining).

    Where the community has no moderators' channel configured, the adapter decides (the owner's
    DM on Discord, log only elsewhere); raising an exception marks the post as failed."""

    async def post_summary(self, community: CommunityRef, card: Card) -> None: ...
