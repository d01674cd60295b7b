"""Interactive entry points: the ``/emotion`` slash command, the "Label emotion" message shortcut
(a modal to choose the emotion) and the buttons of distress flags.

Every listener acknowledges first (Slack allows 3 seconds) and does the slow work after: looking
up the member's role, the core, and sending the actions.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import strings
from bot.adapters.slack.cmdparse import UsageProblem, parse
from bot.adapters.slack.outbox import Origin
from bot.adapters.slack.port import Deps
from bot.adapters.slack.render import (
    MODAL_BLOCK_ID,
    MODAL_CALLBACK_ID,
    label_modal,
    selected_emotion,
    unpack_metadata,
)
from bot.adapters.slack.translate import channel_ref, message_id, plain_text
from bot.core.events import Action, CommandRequest

logger = logging.getLogger(__name__)

SHORTCUT_CALLBACK_ID = "label_emotion"
# The review buttons, and the "add as an example?" answers that follow a review.
FLAG_ACTION = re.compile(r"^flag:(\d+):(acknowledged|resolved|false_alarm|add_example|no_example)$")


def register(app: AsyncApp, deps: Deps) -> None:
    """Add the slash command, shortcut, modal and button listeners to ``app``."""

    @app.command(strings.COMMAND)
    async def on_emotion(ack: AsyncAck, command: dict[str, Any]) -> None:
        parsed = parse(command.get("text") or "", labels=deps.service.labels)
        if isinstance(parsed, UsageProblem):
            await ack(text=parsed.text)
            return
        await ack()
        workspace = deps.workspace_for(command.get("team_id"))
        channel_name = command.get("channel_name") or ""
        channel = channel_ref(
            workspace,
            command.get("channel_id") or "",
            channel_type="im" if channel_name == "directmessage" else None,
            name="" if channel_name in {"directmessage", "privategroup"} else channel_name,
        )
        user = await deps.roles.member(command["user_id"], name=command.get("user_name") or "")
        req = CommandRequest(
            name=parsed.name,
            args=parsed.args,
            user=user,
            channel=channel,
            options=dict(parsed.options),
            target_message_id=parsed.target_message_id,
        )
        origin = Origin(
            channel_id=channel.id, respond=deps.outbox.responder(command.get("response_url"))
        )
        await _run(deps, req, origin)

    @app.shortcut(SHORTCUT_CALLBACK_ID)
    async def on_label_shortcut(
        ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        message = shortcut.get("message") or {}
        text = plain_text(message.get("text") or "")
        if not text.strip():
            respond = deps.outbox.responder(shortcut.get("response_url"))
            if respond is not None:
                await respond(text=strings.LABEL_NO_TEXT, response_type="ephemeral")
            return
        metadata = {
            "team": (shortcut.get("team") or {}).get("id") or "",
            "channel": (shortcut.get("channel") or {}).get("id") or "",
            "ts": message.get("ts") or shortcut.get("message_ts") or "",
            "author": message.get("user") or "",
            "response_url": shortcut.get("response_url") or "",
            "text": text,
        }
        view = label_modal(deps.service.labels, metadata=metadata, preview=text)
        await client.views_open(trigger_id=shortcut["trigger_id"], view=view)

    @app.view(MODAL_CALLBACK_ID)
    async def on_label_submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        emotion = selected_emotion(view)
        if emotion is None:
            await ack(response_action="errors", errors={MODAL_BLOCK_ID: strings.MODAL_PLACEHOLDER})
            return
        await ack()
        meta = unpack_metadata(view.get("private_metadata"))
        workspace = deps.workspace_for(meta.get("team") or (body.get("team") or {}).get("id"))
        channel = channel_ref(workspace, meta.get("channel", ""))
        mid = message_id(channel.id, meta.get("ts", ""))
        member = body.get("user") or {}
        user = await deps.roles.member(member.get("id", ""), name=member.get("username") or "")
        req = CommandRequest(
            name="label",
            args=(emotion,),
            user=user,
            channel=channel,
            options={
                "emotion": emotion,
                "text": meta.get("text", ""),
                "author": meta.get("author", ""),
            },
            target_message_id=mid,
        )
        respond = deps.outbox.responder(meta.get("response_url"))
        origin = Origin(channel_id=channel.id, respond=respond)
        await _run(deps, req, origin)

    @app.action(FLAG_ACTION)
    async def on_flag_button(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        match = FLAG_ACTION.match(action.get("action_id") or "")
        if match is None:  # pragma: no cover - the listener only matches this pattern
            return
        flag_id, state = int(match.group(1)), match.group(2)
        member = body.get("user") or {}
        user = await deps.roles.member(member.get("id", ""), name=member.get("username") or "")
        channel_id = (body.get("channel") or {}).get("id")
        ts = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get(
            "ts"
        )
        origin = Origin(
            channel_id=channel_id,
            respond=deps.outbox.responder(body.get("response_url")),
            message_channel=channel_id,
            message_ts=ts,
        )
        try:
            actions: list[Action] = await deps.service.on_flag_review(flag_id, state, user)
        except Exception:
            logger.exception("Slack: the core failed reviewing flag %s", flag_id)
            if origin.respond:
                await origin.respond(
                    text=strings.INTERNAL_ERROR, response_type="ephemeral", replace_original=False
                )
            return
        await deps.outbox.send(actions, origin)


async def _run(deps: Deps, req: CommandRequest, origin: Origin) -> None:
    """Run one command through the core and send what it returns."""
    try:
        actions = await deps.service.handle_command(req)
    except Exception:
        logger.exception("Slack: the core failed on /emotion %s", req.name)
        if origin.respond:
            await origin.respond(text=strings.INTERNAL_ERROR, response_type="ephemeral")
        return
    await deps.outbox.send(actions, origin)
