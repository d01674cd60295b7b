"""Carry out the core's actions with the Slack Web API.

- :class:`Reply` with ``private_to``: the slash command's ``response_url`` (ephemeral) when it
  answers a command in the same channel, else ``chat.postEphemeral`` (a DM when the bot is not in
  that channel); a public reply: ``chat.postMessage``; a card's chart: an uploaded file.
- :class:`EmpathyPrompt`: ``chat.postEphemeral`` to that member in that channel (thread kept).
- :class:`DistressFlag`: a Block Kit message with buttons in the moderators' channel.
- :class:`FileReply`: ``files.getUploadURLExternal`` + ``files.completeUploadExternal`` into the
  member's DM with the bot.
- :class:`UpdateFlagMessage`: ``chat.update`` of the flag's message.

A failing action is logged and does not stop the ones after it.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.render import card_blocks, card_text, to_mrkdwn
from bot.adapters.slack.retry import ResponseUrl, ResponseUrlError
from bot.adapters.slack.translate import split_message_id
from bot.core.events import (
    Action,
    Card,
    DistressFlag,
    EmpathyPrompt,
    FileReply,
    Reply,
    UpdateFlagMessage,
    UserRef,
)

logger = logging.getLogger(__name__)

Respond = Callable[..., Awaitable[Any]]
_SEND_ERRORS = (
    SlackApiError,
    SlackRequestError,
    ResponseUrlError,
    aiohttp.ClientError,
    OSError,
    TimeoutError,
)


@dataclass(frozen=True)
class Origin:
    """Where the actions answer: the channel of a command and its ``respond`` (response_url), or
    the message whose button was pressed."""

    channel_id: str | None = None
    respond: Respond | None = None
    message_channel: str | None = None
    message_ts: str | None = None


class Outbox:
    """Sends actions; remembers where each distress flag was posted so it can be updated."""

    def __init__(self, client: AsyncWebClient, *, remember: int = 1000) -> None:
        self._client = client
        self._flags: OrderedDict[int, tuple[str, str]] = OrderedDict()
        self._remember = remember
        self._dm_channels: dict[str, str] = {}

    def responder(self, response_url: str | None) -> Respond | None:
        """``respond()`` for a payload's ``response_url`` (None without one), retrying like the
        Web API client (:class:`bot.adapters.slack.retry.ResponseUrl`)."""
        if not response_url:
            return None
        return ResponseUrl(response_url, proxy=self._client.proxy, ssl=self._client.ssl)

    async def send(self, actions: Sequence[Action], origin: Origin | None = None) -> None:
        origin = origin or Origin()
        for action in actions:
            try:
                await self._send_one(action, origin)
            except _SEND_ERRORS as exc:
                logger.error("Slack: could not carry out %s: %s", type(action).__name__, exc)

    async def _send_one(self, action: Action, origin: Origin) -> None:
        if isinstance(action, Reply):
            await self._reply(action, origin)
        elif isinstance(action, EmpathyPrompt):
            await self.ephemeral(
                action.channel.id,
                action.user,
                text=to_mrkdwn(action.text),
                thread_ts=action.thread_id,
            )
        elif isinstance(action, DistressFlag):
            await self._flag(action)
        elif isinstance(action, FileReply):
            await self.upload_private(
                action.user, filename=action.filename, content=action.content, text=action.text
            )
        elif isinstance(action, UpdateFlagMessage):
            await self._update_flag(action, origin)
        else:  # pragma: no cover - the Action union is closed
            logger.warning("Slack: unknown action %r", action)

    async def _reply(self, reply: Reply, origin: Origin) -> None:
        text, blocks = _message(reply.text, reply.card)
        same_place = origin.respond is not None and reply.channel.id == origin.channel_id
        user = reply.private_to
        if same_place and origin.respond is not None:
            kind = "ephemeral" if user else "in_channel"
            await origin.respond(
                text=text, blocks=blocks, response_type=kind, replace_original=False
            )
        elif user:
            await self.ephemeral(
                reply.channel.id, user, text=text, blocks=blocks, thread_ts=reply.thread_id
            )
        else:
            await self._client.chat_postMessage(
                channel=reply.channel.id, text=text, blocks=blocks, thread_ts=reply.thread_id
            )
        if reply.card and reply.card.image_png:
            card = reply.card
            png = reply.card.image_png
            if user:
                await self.upload_private(user, filename=card.image_name, content=png)
            else:
                await self._client.files_upload_v2(
                    channel=reply.channel.id,
                    filename=card.image_name,
                    content=png,
                    title=card.title or card.image_name,
                    thread_ts=reply.thread_id,
                )

    async def post_card(self, channel_id: str, card: Card) -> str:
        """Post a card to a channel as Block Kit, its chart (if any) uploaded into the same
        channel after it (``files.getUploadURLExternal`` + ``files.completeUploadExternal``);
        e.g. the weekly summary in the moderators' channel. Returns the message's ``ts``.
        Errors propagate: the caller decides what failing means."""
        text, blocks = _message("", card)
        resp = await self._client.chat_postMessage(
            channel=channel_id, text=text, blocks=blocks, unfurl_links=False
        )
        if card.image_png:
            await self._client.files_upload_v2(
                channel=channel_id,
                filename=card.image_name,
                content=card.image_png,
                title=card.title or card.image_name,
            )
        return str(resp.get("ts") or "")

    async def ephemeral(
        self,
        channel_id: str,
        user: UserRef,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> None:
        """``chat.postEphemeral``; where the bot is not in the channel, a DM instead."""
        try:
            await self._client.chat_postEphemeral(
                channel=channel_id, user=user.id, text=text, blocks=blocks, thread_ts=thread_ts
            )
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error not in {"not_in_channel", "channel_not_found", "user_not_in_channel"}:
                raise
            logger.info("Slack: ephemeral in %s failed (%s); sending a DM", channel_id, error)
            dm = await self.dm_channel(user.id)
            await self._client.chat_postMessage(channel=dm, text=text, blocks=blocks)

    async def dm_channel(self, user_id: str) -> str:
        """The id of the bot's direct conversation with a member (``conversations.open``)."""
        if user_id not in self._dm_channels:
            resp = await self._client.conversations_open(users=user_id)
            self._dm_channels[user_id] = resp["channel"]["id"]
        return self._dm_channels[user_id]

    async def upload_private(
        self, user: UserRef, *, filename: str, content: bytes, text: str = ""
    ) -> None:
        """Upload a file into the member's DM with the bot (only they see it)."""
        dm = await self.dm_channel(user.id)
        await self._client.files_upload_v2(
            channel=dm,
            filename=filename,
            content=content,
            title=filename,
            initial_comment=to_mrkdwn(text) if text else None,
        )

    async def _flag(self, flag: DistressFlag) -> None:
        if not flag.mod_channel_id:
            logger.warning(
                "Slack: distress flag %s in %s has no moderators' channel to go to "
                "(set one with `/emotion settings mod-channel here`)",
                flag.flag_id,
                flag.community.id,
            )
            return
        card = flag.card
        if not card.link:
            link = await self._permalink(flag.message_id)
            if link:
                card = _with_link(card, link)
        text, blocks = _message("", card)
        resp = await self._client.chat_postMessage(
            channel=flag.mod_channel_id, text=text, blocks=blocks, unfurl_links=False
        )
        self._flags[flag.flag_id] = (resp.get("channel") or flag.mod_channel_id, resp["ts"])
        while len(self._flags) > self._remember:
            self._flags.popitem(last=False)

    async def _permalink(self, mid: str) -> str | None:
        where = split_message_id(mid)
        if not where:
            return None
        try:
            resp = await self._client.chat_getPermalink(channel=where[0], message_ts=where[1])
        except SlackApiError as exc:
            logger.info("Slack: no permalink for %s: %s", mid, exc.response.get("error"))
            return None
        link = resp.get("permalink")
        return str(link) if link else None

    async def _update_flag(self, update: UpdateFlagMessage, origin: Origin) -> None:
        if origin.message_channel and origin.message_ts:
            where: tuple[str, str] | None = (origin.message_channel, origin.message_ts)
        else:
            where = self._flags.get(update.flag_id)
        if where is None:
            logger.warning("Slack: don't know where flag %s was posted", update.flag_id)
            return
        text, blocks = _message("", update.card)
        await self._client.chat_update(channel=where[0], ts=where[1], text=text, blocks=blocks)


def _message(text: str, card: Card | None) -> tuple[str, list[dict[str, Any]] | None]:
    """Fallback text and blocks for a text and/or card."""
    if card is None:
        return to_mrkdwn(text), None
    blocks = card_blocks(card)
    if text:
        blocks.insert(0, {"type": "section", "text": {"type": "mrkdwn", "text": to_mrkdwn(text)}})
    return to_mrkdwn(text) if text else card_text(card), blocks


def _with_link(card: Card, link: str) -> Card:
    return replace(card, link=link)
