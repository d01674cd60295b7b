"""Retries for everything the adapter sends: the Web API client and ``response_url`` answers.

slack_sdk retries only dropped connections by default. :func:`retry_handlers` adds its retry
handlers for server errors (500, 502, 503, 504), connection errors *and timeouts*, and rate limits
(429, after ``Retry-After``). slack_sdk's own rate-limit handler does ``int(Retry-After)`` and
raises on ``1.5`` or an HTTP date; :class:`RateLimitRetryHandler` reads either, and anything else
as :data:`DEFAULT_RETRY_AFTER_S`.

bolt's ``respond()`` posts to the ``response_url`` with slack_sdk's default handlers only and
never says when the answer was refused; :class:`ResponseUrl` retries like the Web API client and
raises :class:`ResponseUrlError` (without the URL, which is a credential) when it fails.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Mapping, Sequence
from email.utils import parsedate_to_datetime
from ssl import SSLContext
from typing import Any

from aiohttp import ClientOSError, ServerConnectionError, ServerDisconnectedError
from slack_sdk.errors import SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

SERVER_ERRORS = frozenset({500, 502, 503, 504})
SERVER_ERROR_RETRIES = 2
CONNECTION_RETRIES = 2
RATE_LIMIT_RETRIES = 3
DEFAULT_RETRY_AFTER_S = 1.0
MAX_RETRY_AFTER_S = 60.0
# A timeout is retried too: a reply that may arrive twice beats one that never arrives.
CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    ServerConnectionError,
    ServerDisconnectedError,
    ClientOSError,
    TimeoutError,
)


def retry_after_seconds(headers: Mapping[str, Any], *, now: float | None = None) -> float:
    """``Retry-After`` in seconds: a number (``30``, ``1.5``) or an HTTP date; anything else,
    a negative or absent value -> :data:`DEFAULT_RETRY_AFTER_S`. At most :data:`MAX_RETRY_AFTER_S`.
    """
    value: Any = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if isinstance(value, Sequence) and not isinstance(value, str):
        value = value[0] if value else None
    if not isinstance(value, str) or not value.strip():
        return DEFAULT_RETRY_AFTER_S
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return DEFAULT_RETRY_AFTER_S
        if when.tzinfo is None:
            return DEFAULT_RETRY_AFTER_S
        seconds = when.timestamp() - (time.time() if now is None else now)
        seconds = max(seconds, 0.0)
    if not math.isfinite(seconds) or seconds < 0:
        return DEFAULT_RETRY_AFTER_S
    return min(seconds, MAX_RETRY_AFTER_S)


class RateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, reading any ``Retry-After`` (see :func:`retry_after_seconds`)."""

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            if error is not None:
                raise error
            return
        state.next_attempt_requested = True
        # slack_sdk's jitter: up to one second more, so that many clients do not retry at once.
        await asyncio.sleep(retry_after_seconds(response.headers) + random.random())
        state.increment_current_attempt()


class ServerErrorRetryHandler(AsyncServerErrorRetryHandler):
    """slack_sdk's handler for 500 and 503, and 502 and 504 too (a proxy or load balancer)."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code in SERVER_ERRORS


def retry_handlers() -> list[AsyncRetryHandler]:
    """Fresh handlers for one client: connection errors and timeouts, 5xx, 429."""
    return [
        AsyncConnectionErrorRetryHandler(
            max_retry_count=CONNECTION_RETRIES, error_types=list(CONNECTION_ERRORS)
        ),
        ServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
        RateLimitRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]


class ResponseUrlError(SlackClientError):
    """The ``response_url`` refused the answer after the retries (the message has no URL)."""


class ResponseUrl:
    """``respond()`` for one ``response_url``, with :func:`retry_handlers`.

    Called like bolt's ``respond`` (``text``, ``blocks``, ``response_type``,
    ``replace_original``); raises :class:`ResponseUrlError` when Slack does not take it.
    """

    def __init__(
        self,
        url: str,
        *,
        proxy: str | None = None,
        ssl: SSLContext | None = None,
        timeout: int = 30,
    ) -> None:
        self.url = url
        self._proxy = proxy
        self._ssl = ssl
        self._timeout = timeout

    def __repr__(self) -> str:  # never the URL: it is a credential for 30 minutes
        return "ResponseUrl(...)"

    async def __call__(
        self,
        text: str = "",
        blocks: Sequence[dict[str, Any]] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        **extra: Any,
    ) -> WebhookResponse:
        client = AsyncWebhookClient(
            url=self.url,
            proxy=self._proxy,
            ssl=self._ssl,
            timeout=self._timeout,
            retry_handlers=retry_handlers(),
        )
        resp = await client.send(
            text=text,
            blocks=blocks,
            response_type=response_type,
            replace_original=replace_original,
            **extra,
        )
        if not 200 <= resp.status_code < 300:
            raise ResponseUrlError(f"the response_url answered HTTP {resp.status_code}")
        return resp
