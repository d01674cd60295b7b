"""A local fake of Discord: the gateway (WebSocket) and the REST API, on 127.0.0.1 with aiohttp.

discord.py is pointed at it through ``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` and
runs its real code: HTTP requests, rate-limit handling, the gateway handshake, resuming. Every REST
request is recorded so tests assert on what the bot actually sent; faults (a 429, a bad token, a
missing privileged intent) are switched on per test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

from tests.discord import payloads as p

MESSAGE_CONTENT_INTENT = 1 << 15
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | MESSAGE_CONTENT_INTENT


@dataclass
class Recorded:
    """One REST request the bot made (and the status the fake answered)."""

    method: str
    path: str  # without the /api/v10 prefix
    json: Any
    files: dict[str, bytes]
    headers: dict[str, str]
    at: float  # time.monotonic()
    status: int = 200

    @property
    def flags(self) -> int:
        """Message flags of a message body or of an interaction callback's data."""
        body = self.json or {}
        data = body.get("data") if "type" in body and "data" in body else body
        return int((data or {}).get("flags") or 0)


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int


@dataclass
class GatewayState:
    seq: int = 0
    session_id: str = "session-1"
    history: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    identifies: list[dict[str, Any]] = field(default_factory=list)
    resumes: list[dict[str, Any]] = field(default_factory=list)
    dispatched_at: dict[str, float] = field(default_factory=dict)  # interaction id -> time


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json": with a charset suffix discord.py would read the body as text.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


class FakeDiscord:
    """The fake servers. ``await start()``, point discord.py at ``api_base`` / ``gateway_url``."""

    def __init__(self, *, with_mods_channel: bool = True) -> None:
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.errors: list[str] = []  # exceptions inside the fake's handlers
        self.gateway = GatewayState()
        self.guild = p.guild(with_mods_channel=with_mods_channel)
        self.messages: dict[str, dict[str, Any]] = {}  # REST-readable messages by id
        self.token_ok = True
        self.privileged_granted = True
        self.replay_overlap = 0  # events re-sent before the client's seq on RESUME (at-least-once)
        self._ws: web.WebSocketResponse | None = None
        self._connected = asyncio.Event()
        self._request_event = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway/", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway/"

    # --- test helpers ------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        path_regex: str,
        *,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` matching requests with this status instead."""
        self.faults.append(
            Fault(method, re.compile(path_regex), status, body, headers or {}, times)
        )

    def sent(self, method: str | None = None, path_regex: str = "") -> list[Recorded]:
        pattern = re.compile(path_regex)
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and pattern.search(r.path)
        ]

    async def wait_for(
        self, method: str, path_regex: str, *, count: int = 1, timeout: float = 3.0
    ) -> list[Recorded]:
        """Wait until ``count`` matching requests were recorded; return them."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.sent(method, path_regex)
            if len(found) >= count:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [f"{r.method} {r.path}" for r in self.requests]
                raise AssertionError(f"no {count}x {method} {path_regex}; saw {seen}")
            self._request_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._request_event.wait(), remaining)

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send a DISPATCH (op 0) with the next sequence number; kept for RESUME replays."""
        self.gateway.seq += 1
        seq = self.gateway.seq
        self.gateway.history.append((seq, event, data))
        if event == "INTERACTION_CREATE":
            self.gateway.dispatched_at[data["id"]] = time.monotonic()
        if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
            self.messages[data["id"]] = data
        ws = self._ws
        if ws is not None and not ws.closed:
            await ws.send_str(json.dumps({"op": 0, "t": event, "s": seq, "d": self._seen_as(data)}))
        return seq

    def _seen_as(self, data: dict[str, Any]) -> dict[str, Any]:
        """Like Discord: without the Message Content intent, message texts arrive empty."""
        identifies = self.gateway.identifies
        granted = bool(identifies and identifies[-1]["intents"] & MESSAGE_CONTENT_INTENT)
        if granted or "content" not in data:
            return data
        return {**data, "content": ""}

    async def send_op(self, op: int, data: Any = None) -> None:
        assert self._ws is not None
        await self._ws.send_str(json.dumps({"op": op, "d": data, "s": None, "t": None}))

    async def wait_connected(self, timeout: float = 3.0) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    def drop_connection(self) -> None:
        """Forget the current socket: later dispatches only reach the client after it resumes."""
        self._connected.clear()
        self._ws = None

    # --- gateway -----------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        await ws.send_str(
            json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        )
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            frame = json.loads(msg.data)
            op, data = frame.get("op"), frame.get("d")
            if op == 1:
                await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
            elif op == 2:
                await self._identify(ws, data)
            elif op == 6:
                await self._resume(ws, data)
        if self._ws is ws:
            self.drop_connection()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        self.gateway.identifies.append(data)
        if data["intents"] & PRIVILEGED_INTENTS and not self.privileged_granted:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        self._ws = ws
        ready = {
            "v": 10,
            "user": p.user(p.BOT_ID, "emotion-bot", bot=True),
            "guilds": [{"id": p.GUILD_ID, "unavailable": True}],
            "session_id": self.gateway.session_id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": p.APP_ID, "flags": 0},
            "shard": [0, 1],
        }
        await self.dispatch("READY", ready)
        guild = dict(self.guild)
        await self.dispatch("GUILD_CREATE", guild)
        self._connected.set()

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        self.gateway.resumes.append(data)
        self._ws = ws
        start = int(data["seq"] or 0) - self.replay_overlap
        for seq, event, payload in self.gateway.history:
            if seq > start and event not in ("READY", "GUILD_CREATE"):
                frame = {"op": 0, "t": event, "s": seq, "d": self._seen_as(payload)}
                await ws.send_str(json.dumps(frame))
        self.gateway.seq += 1
        await ws.send_str(json.dumps({"op": 0, "t": "RESUMED", "s": self.gateway.seq, "d": {}}))
        self._connected.set()

    # --- REST --------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body, files = await self._read_body(request)
        rec = Recorded(request.method, path, body, files, dict(request.headers), time.monotonic())
        self.requests.append(rec)
        self._request_event.set()
        for fault in self.faults:
            if fault.times > 0 and fault.method == request.method and fault.pattern.search(path):
                fault.times -= 1
                rec.status = fault.status
                return _json(fault.body, fault.status, fault.headers)
        if not self.token_ok:
            rec.status = 401
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        for method, pattern, handler in self._routes():
            match = re.fullmatch(pattern, path)
            if method == request.method and match:
                try:
                    return _json(handler(rec, *match.groups()))
                except Exception as exc:  # a bug in the fake: fail fast (400s are not retried)
                    self.errors.append(f"{request.method} {path}: {exc!r}")
                    rec.status = 400
                    return _json({"message": repr(exc), "code": 0}, 400)
        rec.status = 404
        return _json({"message": "Unknown route", "code": 0}, 404)

    async def _read_body(self, request: web.Request) -> tuple[Any, dict[str, bytes]]:
        files: dict[str, bytes] = {}
        if request.content_type.startswith("multipart/"):
            body: Any = None
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                else:
                    files[part.filename or part.name or "?"] = await part.read()
            return body, files
        raw = await request.read()
        return (json.loads(raw) if raw else None), files

    def _routes(self) -> list[tuple[str, str, Callable[..., Any]]]:
        return [
            ("GET", r"/users/@me", lambda rec: p.user(p.BOT_ID, "emotion-bot", bot=True)),
            ("GET", r"/oauth2/applications/@me", lambda rec: self._application()),
            ("GET", r"/gateway", lambda rec: {"url": self.gateway_url}),
            ("GET", r"/gateway/bot", lambda rec: self._gateway_bot()),
            ("PUT", r"/applications/\d+/commands", self._commands),
            ("PUT", r"/applications/\d+/guilds/\d+/commands", self._commands),
            ("POST", r"/channels/(\d+)/messages", self._create_message),
            ("GET", r"/channels/(\d+)/messages/(\d+)", self._get_message),
            ("PATCH", r"/channels/(\d+)/messages/(\d+)", self._edit_message),
            ("POST", r"/users/@me/channels", self._open_dm),
            ("GET", r"/users/(\d+)", lambda rec, uid: p.user(uid, f"user{uid[-3:]}")),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._callback),
            ("POST", r"/webhooks/(\d+)/([^/]+)", self._followup),
            ("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/([^/]+)", self._edit_followup),
            ("DELETE", r"/webhooks/(\d+)/([^/]+)/messages/([^/]+)", lambda rec, *a: {}),
        ]

    def _application(self) -> dict[str, Any]:
        return {
            "id": p.APP_ID,
            "name": "emotion-bot",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "00" * 32,
            "owner": p.user(p.OWNER_ID, "owner"),
            "flags": 0,
        }

    def _gateway_bot(self) -> dict[str, Any]:
        """What an ``AutoShardedClient`` without a shard count asks: the recommended count."""
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}

    def _commands(self, rec: Recorded) -> list[dict[str, Any]]:
        return [
            {
                "description": "",
                "options": [],
                **cmd,
                "id": p.snowflake(),
                "application_id": p.APP_ID,
                "version": "1",
            }
            for cmd in rec.json or []
        ]

    def _bot_message(
        self, channel_id: str, body: dict[str, Any] | None, message_id: str | None = None
    ) -> dict[str, Any]:
        body = body or {}
        data = p.message(
            content=body.get("content") or "",
            author=p.user(p.BOT_ID, "emotion-bot", bot=True),
            channel_id=channel_id,
            message_id=message_id,
            components=body.get("components"),
            embeds=body.get("embeds"),
            flags=int(body.get("flags") or 0),
        )
        self.messages[data["id"]] = data
        return data

    def _create_message(self, rec: Recorded, channel_id: str) -> dict[str, Any]:
        return self._bot_message(channel_id, rec.json)

    def _get_message(self, rec: Recorded, channel_id: str, message_id: str) -> dict[str, Any]:
        return self.messages.get(message_id) or p.message(
            content="",
            author=p.user(p.OWNER_ID, "owner"),
            channel_id=channel_id,
            message_id=message_id,
        )

    def _edit_message(self, rec: Recorded, channel_id: str, message_id: str) -> dict[str, Any]:
        return self._bot_message(channel_id, rec.json, message_id)

    def _open_dm(self, rec: Recorded) -> dict[str, Any]:
        recipient = str((rec.json or {})["recipient_id"])
        return {
            "id": f"8{recipient[1:]}",
            "type": 1,
            "last_message_id": None,
            "recipients": [p.user(str(recipient), "someone")],
        }

    def _callback(self, rec: Recorded, interaction_id: str, token: str) -> dict[str, Any]:
        return {"interaction": {"id": interaction_id, "type": 2}}

    def _followup(self, rec: Recorded, app_id: str, token: str) -> dict[str, Any]:
        return self._bot_message(p.GENERAL_ID, rec.json)

    def _edit_followup(
        self, rec: Recorded, app_id: str, token: str, message: str
    ) -> dict[str, Any]:
        return self._bot_message(p.GENERAL_ID, rec.json)
