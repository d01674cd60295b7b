"""The fake Discord with shards: several gateway sessions at once, guilds split between them.

Like Discord (https://discord.com/developers/docs/events/gateway#sharding): an IDENTIFY carries
``shard: [shard_id, num_shards]``; that session's READY and GUILD_CREATEs hold only the guilds with
``(guild_id >> 22) % num_shards == shard_id``, and a guild's events go to that session only.
``GET /gateway/bot`` answers a recommended shard count. RESUME is not supported here (the
single-session :class:`FakeDiscord` tests it).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.discord import payloads as p
from tests.discord.fake_discord import PRIVILEGED_INTENTS, FakeDiscord, Recorded


def shard_of(guild_id: str | int, count: int) -> int:
    """The shard Discord sends a guild's events to."""
    return (int(guild_id) >> 22) % count


def guild_copy(guild_id: str, name: str, *, id_offset: int, owner_id: str) -> dict[str, Any]:
    """``payloads.guild()`` under another id and owner, its channels, thread and mod role
    renumbered by ``id_offset``."""
    data = copy.deepcopy(p.guild())
    renames = {p.GUILD_ID: guild_id}
    for old in (p.GENERAL_ID, p.MODS_ID, p.THREAD_ID, p.MOD_ROLE_ID):
        renames[old] = str(int(old) + id_offset)
    text = json.dumps(data)
    for old, new in renames.items():
        text = text.replace(f'"{old}"', f'"{new}"')
    renamed: dict[str, Any] = json.loads(text)
    renamed["name"] = name
    renamed["owner_id"] = owner_id
    return renamed


@dataclass
class Session:
    shard: tuple[int, int]  # (shard_id, num_shards)
    ws: web.WebSocketResponse
    seq: int = 0


class ShardedFakeDiscord(FakeDiscord):
    def __init__(self, guilds: list[dict[str, Any]], *, recommended_shards: int = 1) -> None:
        super().__init__()
        self.guilds = {g["id"]: g for g in guilds}
        self.recommended_shards = recommended_shards
        # Every live session; two on the same shard both get its events, as on Discord.
        self.sessions: list[Session] = []
        self.deliveries: list[tuple[tuple[int, int], str, str]] = []  # (shard, event, id)

    # --- helpers for tests -------------------------------------------------------------------

    def identified_shards(self) -> list[tuple[int, int]]:
        """The ``shard`` of every IDENTIFY, in order (``(0, 1)`` when none was given)."""
        return [tuple(i.get("shard") or (0, 1)) for i in self.gateway.identifies]  # type: ignore[misc]

    async def stop(self) -> None:
        for session in list(self.sessions):
            if not session.ws.closed:
                await session.ws.close()
        await super().stop()

    # --- gateway -----------------------------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send an event to the session of the shard that holds its guild (DMs: shard 0)."""
        self.gateway.seq += 1
        self.gateway.history.append((self.gateway.seq, event, data))
        if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
            self.messages[data["id"]] = data
        guild_id = data.get("guild_id")
        for session in list(self.sessions):
            shard_id, count = session.shard
            wanted = 0 if guild_id is None else shard_of(guild_id, count)
            if wanted == shard_id and not session.ws.closed:
                await self._send(session, event, data)
        return self.gateway.seq

    async def _send(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        self.deliveries.append((session.shard, event, str(data.get("id", ""))))
        frame = {"op": 0, "t": event, "s": session.seq, "d": self._seen_as(data)}
        await session.ws.send_str(json.dumps(frame))

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = await super()._gateway(request)
        self.sessions = [s for s in self.sessions if s.ws is not ws]
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        self.gateway.identifies.append(data)
        shard_id, count = data.get("shard") or (0, 1)
        if data["intents"] & PRIVILEGED_INTENTS and not self.privileged_granted:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        if not 0 <= shard_id < count:
            await ws.close(code=4010, message=b"Invalid shard.")
            return
        if count < self.recommended_shards:
            await ws.close(code=4011, message=b"Sharding required.")
            return
        session = Session((shard_id, count), ws)
        self.sessions.append(session)
        mine = [g for gid, g in self.guilds.items() if shard_of(gid, count) == shard_id]
        ready = {
            "v": 10,
            "user": p.user(p.BOT_ID, "emotion-bot", bot=True),
            "guilds": [{"id": g["id"], "unavailable": True} for g in mine],
            "session_id": f"session-{shard_id}-of-{count}",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": p.APP_ID, "flags": 0},
            "shard": [shard_id, count],
        }
        await self._send(session, "READY", ready)
        for guild in mine:
            await self._send(session, "GUILD_CREATE", copy.deepcopy(guild))

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        self.errors.append("RESUME is not supported by the sharded fake")
        await ws.close(code=4009, message=b"Session timed out.")

    # --- REST --------------------------------------------------------------------------------

    def _gateway_bot(self) -> dict[str, Any]:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return {
            "url": self.gateway_url,
            "shards": self.recommended_shards,
            "session_start_limit": limit,
        }

    def _routes(self) -> list[tuple[str, str, Callable[..., Any]]]:
        return [("GET", r"/guilds/(\d+)", self._get_guild), *super()._routes()]

    def _get_guild(self, rec: Recorded, guild_id: str) -> dict[str, Any]:
        guild = self.guilds[guild_id]  # KeyError: a bug in the test (recorded as an error)
        return {k: v for k, v in guild.items() if k not in ("channels", "threads", "members")}
