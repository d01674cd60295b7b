"""A fake Slack on 127.0.0.1: the Web API, ``response_url`` hooks, file uploads and the Socket
Mode WebSocket, all recording what they receive so tests assert on what the bot really sent.

Responses follow the documented shapes (https://docs.slack.dev/reference/methods). Faults are
scripted per method (``"hooks"`` for the ``response_url``): ``rate_limit("chat.postEphemeral")``
answers the next call with a 429 and ``Retry-After: 0``; ``fail("chat.postEphemeral",
"not_in_channel")`` with ``ok: false``; ``server_error("hooks")`` with a 500;
``stall("chat.postEphemeral", 2.0)`` answers only after two seconds (a client timeout).
Each :class:`Call` records the status it was answered with.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

BOT_TOKEN = "xoxb-test-bot-token"
APP_TOKEN = "xapp-test-app-token"
TEAM_ID = "T0TEAM"
TEAM_NAME = "Acme"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"


@dataclass
class Call:
    """One request the fake received."""

    method: str  # "chat.postEphemeral", "hooks", "upload", ...
    path: str
    headers: dict[str, str]
    params: dict[str, Any]
    body: bytes = b""
    response: dict[str, Any] = field(default_factory=dict)
    status: int = 200

    @property
    def token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None

    def json_param(self, name: str) -> Any:
        """A parameter slack_sdk may send either as JSON or JSON-in-a-form-field (``blocks``)."""
        value = self.params.get(name)
        return json.loads(value) if isinstance(value, str) else value


@dataclass
class Fault:
    """A scripted answer: ``status`` (0: the normal answer, -1: the connection drops) after
    ``delay`` seconds; ``body`` None with a status: an HTML error page."""

    status: int
    headers: dict[str, str]
    body: dict[str, Any] | None
    delay: float = 0.0


@dataclass
class FakeSlack:
    """Start with ``await fake.start()``; ``base_url`` goes to ``AsyncWebClient(base_url=...)``."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    valid_tokens: set[str] = field(default_factory=lambda: {BOT_TOKEN, APP_TOKEN})
    calls: list[Call] = field(default_factory=list)
    port: int = 0
    socket_opens: int = 0

    def __post_init__(self) -> None:
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._ts = itertools.count(1)
        self._files = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Condition()
        self.uploads: dict[str, bytes] = {}
        self.acks: dict[str, dict[str, Any]] = {}
        self._outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._sockets: list[web.WebSocketResponse] = []

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.add_routes(
            [
                web.route("*", "/api/{method}", self._api),
                web.post("/hooks/{hook:.*}", self._hook),
                web.post("/upload/{file_id}", self._upload),
                web.get("/socket", self._socket),
            ]
        )
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root}/api/"

    def hook_url(self, name: str = "cmd") -> str:
        return f"{self.root}/hooks/{name}"

    # --- scripting ---------------------------------------------------------------------------

    def rate_limit(
        self, method: str, *, times: int = 1, retry_after: int | float | str = 0
    ) -> None:
        for _ in range(times):
            self._faults[method].append(
                Fault(429, {"Retry-After": str(retry_after)}, {"ok": False, "error": "ratelimited"})
            )

    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        for _ in range(times):
            self._faults[method].append(Fault(200, {}, {"ok": False, "error": error}))

    def server_error(self, method: str, *, status: int = 500, times: int = 1) -> None:
        """The next call(s) get ``status`` with Slack's HTML error page (as its load balancer)."""
        for _ in range(times):
            self._faults[method].append(Fault(status, {}, None))

    def stall(self, method: str, seconds: float, *, times: int = 1) -> None:
        """The next call(s) are answered normally, but only after ``seconds``."""
        for _ in range(times):
            self._faults[method].append(Fault(0, {}, None, delay=seconds))

    def drop(self, method: str, *, times: int = 1) -> None:
        """The next call(s) lose their connection before any answer (a reset)."""
        for _ in range(times):
            self._faults[method].append(Fault(-1, {}, None))

    def answered(self, method: str, status: int = 200) -> list[Call]:
        """The calls to ``method`` that got ``status`` (a stalled call counts when answered)."""
        return [c for c in self.calls_to(method) if c.status == status]

    def add_user(self, user_id: str, *, name: str = "", admin: bool = False) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name or user_id.lower(),
            "real_name": name or user_id,
            "is_admin": admin,
            "is_owner": False,
            "is_bot": False,
            "profile": {"display_name": name or user_id.lower()},
        }

    # --- assertions --------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until ``method`` was called ``count`` times (listeners run after the ack)."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while len(self.calls_to(method)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(f"{method} called {len(self.calls_to(method))}x: {seen}")
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    continue
        return self.calls_to(method)

    async def settle(self, quiet: float = 0.15) -> None:
        """Wait until no request came for ``quiet`` seconds (to assert that nothing more does)."""
        last = -1
        while last != len(self.calls):
            last = len(self.calls)
            await asyncio.sleep(quiet)

    async def _fault(self, call: Call, request: web.Request) -> web.Response | None:
        """The scripted answer to ``call``, if one is due (None: answer normally)."""
        if not self._faults[call.method]:
            return None
        fault = self._faults[call.method].popleft()
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if not fault.status:
            return None
        call.status = fault.status
        if fault.status < 0 and request.transport is not None:
            request.transport.close()  # the client sees the connection drop
            return web.Response(status=500)
        if fault.body is None:
            return web.Response(
                status=fault.status, text="<html>Server Error</html>", content_type="text/html"
            )
        return _json(fault.body, status=fault.status, headers=fault.headers)

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # --- Web API -----------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.read()
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json" and raw:
            params.update(json.loads(raw))
        elif raw and request.content_type == "application/x-www-form-urlencoded":
            params.update(parse_qsl(raw.decode()))
        call = Call(method, request.path, dict(request.headers), params, raw)
        await self._record(call)
        faulty = await self._fault(call, request)
        if faulty is not None:
            return faulty
        if call.token not in self.valid_tokens:
            return _json({"ok": False, "error": "invalid_auth"})
        if method == "apps.connections.open" and not (call.token or "").startswith("xapp-"):
            return _json({"ok": False, "error": "not_allowed_token_type"})
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return _json({"ok": False, "error": "unknown_method"})
        call.response = {"ok": True, **handler(params)}
        return _json(call.response)

    def _next_ts(self) -> str:
        return f"{1_712_000_000 + next(self._ts)}.000100"

    def _m_auth_test(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://acme.slack.com/",
            "team": TEAM_NAME,
            "user": "emotion-bot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _m_chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        return {"channel": p.get("channel"), "ts": ts, "message": {"text": p.get("text"), "ts": ts}}

    def _m_chat_postEphemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"message_ts": self._next_ts()}

    def _m_chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"channel": p.get("channel"), "ts": p.get("ts"), "text": p.get("text")}

    def _m_chat_getPermalink(self, p: dict[str, Any]) -> dict[str, Any]:
        ts = str(p.get("message_ts", "")).replace(".", "")
        link = f"https://acme.slack.com/archives/{p.get('channel')}/p{ts}"
        return {"channel": p.get("channel"), "permalink": link}

    def _m_views_open(self, p: dict[str, Any]) -> dict[str, Any]:
        view = p.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        return {"view": {"id": "V0VIEW", **(view or {})}}

    def _m_users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(p.get("user")))
        if user is None:
            user = {"id": p.get("user"), "name": str(p.get("user")).lower(), "is_admin": False}
        return {"user": user}

    def _m_conversations_open(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"channel": {"id": "D" + str(p.get("users", "")).lstrip("U")}}

    def _m_files_getUploadURLExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._files):04d}"
        return {"upload_url": f"{self.root}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        files = p.get("files")
        files = json.loads(files) if isinstance(files, str) else files or []
        return {"files": [{"id": f["id"], "title": f.get("title")} for f in files]}

    def _m_apps_connections_open(self, p: dict[str, Any]) -> dict[str, Any]:
        self.socket_opens += 1
        return {"url": f"ws://127.0.0.1:{self.port}/socket"}

    # --- response_url and uploads -----------------------------------------------------------

    async def _hook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        call = Call("hooks", request.path, dict(request.headers), json.loads(raw), raw)
        await self._record(call)
        faulty = await self._fault(call, request)
        return faulty if faulty is not None else web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        raw = await request.read()
        file_id = request.match_info["file_id"]
        self.uploads[file_id] = raw
        await self._record(
            Call("upload", request.path, dict(request.headers), {"id": file_id}, raw)
        )
        return web.Response(text=f"OK - {len(raw)}")

    # --- Socket Mode -------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {}})

        async def pump() -> None:
            while not ws.closed:
                envelope = await self._outgoing.get()
                await ws.send_json(envelope)

        sender = asyncio.create_task(pump())
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    data = json.loads(msg.data)
                    async with self._changed:
                        self.acks[data.get("envelope_id", "")] = data
                        self._changed.notify_all()
        finally:
            sender.cancel()
        return ws

    async def disconnect(self) -> None:
        """Ask the client to reconnect, as Slack does before it recycles a connection."""
        await self._outgoing.put({"type": "disconnect", "reason": "refresh_requested"})

    async def send_envelope(
        self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0
    ) -> str:
        """Deliver one Socket Mode envelope; returns its id (see :meth:`wait_ack`)."""
        envelope_id = f"env-{next(self._ts)}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = "timeout" if retry_attempt else ""
        await self._outgoing.put(envelope)
        return envelope_id

    async def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        async with self._changed:
            while envelope_id not in self.acks:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no ack for {envelope_id}")
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    continue
        return self.acks[envelope_id]


def _json(
    body: dict[str, Any], *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        text=json.dumps(body),
        status=status,
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )
