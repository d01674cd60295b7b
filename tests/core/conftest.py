"""An errbot-style harness: members type messages and commands into a real service (real SQLite
file through the migrations, fake keyword classifier), and tests read the actions and the rows."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

import pytest

from bot.core.events import Action, ChannelRef, ChatMessage, CommandRequest, CommunityRef, UserRef
from bot.core.records import StoredMessage

PLATFORM = "test"
COMMUNITY = CommunityRef(PLATFORM, "guild1", "Guild")
GENERAL = ChannelRef(COMMUNITY, "general", "general")
RANDOM = ChannelRef(COMMUNITY, "random", "random")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def member(name: str, *, mod: bool = False) -> UserRef:
    return UserRef(PLATFORM, name, name.title(), is_moderator=mod)


class Harness:
    def __init__(self, service, clock) -> None:
        self.service = service
        self.clock = clock
        self._ids = count(1)
        self.last_id = ""

    def message(
        self, who: UserRef, text: str, *, channel: ChannelRef = GENERAL, **kw
    ) -> ChatMessage:
        self.last_id = kw.pop("id", None) or f"m{next(self._ids)}"
        return ChatMessage(
            id=self.last_id,
            channel=channel,
            author=who,
            text=text,
            sent_at=self.clock(),
            permalink=f"https://chat/{self.last_id}",
            **kw,
        )

    async def say(
        self, who: UserRef, text: str, *, channel: ChannelRef = GENERAL, **kw
    ) -> list[Action]:
        return await self.service.on_message(self.message(who, text, channel=channel, **kw))

    async def cmd(
        self,
        who: UserRef,
        name: str,
        *args: str,
        channel: ChannelRef = GENERAL,
        target: str | None = None,
        **options: str,
    ) -> list[Action]:
        req = CommandRequest(
            name=name,
            args=args,
            user=who,
            channel=channel,
            options=options,
            target_message_id=target,
        )
        return await self.service.handle_command(req)

    def rows(self, *, user: str | None = None, channel: str | None = None) -> list[StoredMessage]:
        return self.service.store.messages(
            platform=PLATFORM,
            community_id=COMMUNITY.id,
            since=EPOCH,
            user_id=user,
            channel_id=channel,
        )


@pytest.fixture
def chat(service, clock) -> Harness:
    return Harness(service, clock)


@pytest.fixture(scope="module")
def shipped():
    """The model in models/, loaded once per test module (the real ONNX Runtime session)."""
    import classifier
    from bot.config import DEFAULT_MODEL_DIR

    return classifier.load(DEFAULT_MODEL_DIR, threads=1)
