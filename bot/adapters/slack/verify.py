"""HTTP mode's gate: every request is verified over its raw bytes before anything parses it.

- Unsigned, badly signed, stale (more than 300 s) or with a timestamp that is not a number:
  401, and one log line with the reason, the size and the remote address; never the body, which
  holds message text and the ``response_url`` (a credential).
- Signed but malformed (not UTF-8, invalid JSON, a JSON value that is not an object, a
  ``payload=`` field that is not a JSON object): 400, one log line, never a traceback.

bolt's own ``RequestVerification`` parses first (a malformed body is an HTTP 500 before the
signature is checked) and logs every failing request with its whole body at INFO, so the app is
built with it off and :class:`VerifySignature` in its place (for requests dispatched to the app
without :func:`check_http_request`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body
from slack_bolt.response import BoltResponse

logger = logging.getLogger(__name__)

MAX_AGE_S = 300
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
UNVERIFIED = {"error": "invalid request"}
MALFORMED = {"error": "malformed request"}


class Signatures:
    """Slack's request signature: ``v0=`` + HMAC-SHA256(secret, ``v0:{timestamp}:{body}``)."""

    def __init__(self, signing_secret: str, *, clock: Callable[[], float] = time.time) -> None:
        if not signing_secret:
            raise ValueError("a signing secret is needed to verify requests")
        self._secret = signing_secret.encode()
        self._clock = clock

    def problem(self, body: bytes, timestamp: str | None, signature: str | None) -> str | None:
        """Why the request is not verified (None: it is): never raises, whatever the input."""
        if not timestamp or not signature:
            return "unsigned"
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return "malformed timestamp"
        if abs(self._clock() - int(timestamp)) > MAX_AGE_S:
            return "stale timestamp"
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        given = signature.encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(expected.encode(), given):
            return "bad signature"
        return None


def malformed(body: bytes, content_type: str | None) -> str | None:
    """Why a verified body cannot be a Slack request (None: bolt can parse it)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8"
    try:
        parsed = parse_body(text, content_type)  # what bolt will do with it
    except (ValueError, RecursionError):
        return "invalid JSON"
    if not isinstance(parsed, dict):
        return "not a JSON object"
    return None


def log_refused(reason: str, *, size: int, remote: str | None, status: int) -> None:
    """One line per refused request, without its body."""
    logger.info(
        "Slack: refused a request with HTTP %d (%s): %d bytes from %s",
        status,
        reason,
        size,
        remote or "?",
    )


class VerifySignature(AsyncMiddleware):
    """bolt middleware in place of its ``RequestVerification``: the same check, one log line."""

    def __init__(self, signatures: Signatures) -> None:
        self.signatures = signatures

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        if req.mode == "socket_mode":
            return await next()
        problem = self.signatures.problem(
            req.raw_body.encode("utf-8", "surrogateescape"),
            _first(req.headers, TIMESTAMP_HEADER),
            _first(req.headers, SIGNATURE_HEADER),
        )
        if problem is None:
            return await next()
        log_refused(problem, size=len(req.raw_body), remote=None, status=401)
        return BoltResponse(status=401, body=UNVERIFIED)


def _first(headers: dict[str, Any], name: str) -> str | None:
    values = headers.get(name.lower()) or []
    return str(values[0]) if values else None
