"""The slice of the core's ``EmotionService`` that the Slack adapter calls (and nothing more).

A Protocol rather than an import keeps the adapter typed against the contract in the shared
context; :class:`bot.core.service.EmotionService` satisfies it structurally.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from bot.adapters.slack.outbox import Outbox
from bot.adapters.slack.roles import Roles
from bot.adapters.slack.translate import Workspace
from bot.core.events import Action, ChatMessage, CommandRequest, CommunityRef, UserRef
from bot.core.records import CommunitySettings


class Service(Protocol):
    async def on_message(self, msg: ChatMessage) -> list[Action]: ...

    async def on_message_deleted(self, platform: str, message_id: str) -> None: ...

    async def first_delivery(self, platform: str, keys: Sequence[str]) -> bool: ...

    async def handle_command(self, req: CommandRequest) -> list[Action]: ...

    async def on_flag_review(
        self, flag_id: int, state: str, moderator: UserRef
    ) -> list[Action]: ...

    async def community_settings(self, community: CommunityRef) -> CommunitySettings: ...

    @property
    def labels(self) -> tuple[str, ...]: ...


@dataclass
class Deps:
    """What every listener needs: the core, the way out, member roles and the workspace."""

    service: Service
    outbox: Outbox
    roles: Roles
    workspace: Workspace

    def workspace_for(self, team_id: str | None) -> Workspace:
        """The workspace a payload came from (the bot's own unless an org-wide install says so)."""
        if not team_id or team_id == self.workspace.team_id:
            return self.workspace
        return replace(self.workspace, team_id=team_id, team_name="")
