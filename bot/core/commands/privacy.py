"""``/emotion optout``, ``optin``, ``forget`` and ``export``: a member's control over their data."""

from __future__ import annotations

import json
import logging

from bot.core import strings as msgs
from bot.core.commands.common import reply
from bot.core.deps import Deps
from bot.core.distress import community
from bot.core.events import Action, CommandRequest, FileReply

logger = logging.getLogger(__name__)


async def cmd_optout(deps: Deps, req: CommandRequest) -> list[Action]:
    if await deps.is_opted_out(req.user):
        return reply(req, msgs.ALREADY_OPTED_OUT)
    await deps.set_opted_out(req.user, True)
    logger.info("member %s/%s opted out", req.user.platform, req.user.id)
    return reply(req, msgs.OPTED_OUT)


async def cmd_optin(deps: Deps, req: CommandRequest) -> list[Action]:
    if not await deps.is_opted_out(req.user):
        return reply(req, msgs.ALREADY_OPTED_IN)
    await deps.set_opted_out(req.user, False)
    logger.info("member %s/%s opted in", req.user.platform, req.user.id)
    return reply(req, msgs.OPTED_IN)


async def cmd_forget(deps: Deps, req: CommandRequest) -> list[Action]:
    confirmed = req.options.get("confirm", "").lower() in ("yes", "true", "confirm") or (
        [a.lower() for a in req.args] == ["confirm"]
    )
    if not confirmed:
        return reply(req, msgs.FORGET_CONFIRM)
    deps.forget_memory(req.user)
    rows = await deps.db(deps.store.forget_user, req.user.platform, req.user.id)
    community.invalidate(deps)  # examples made from their messages are gone from the matchers
    logger.info("member %s/%s forgotten: %d rows", req.user.platform, req.user.id, rows)
    return reply(req, msgs.FORGOTTEN.format(rows=rows))


async def cmd_export(deps: Deps, req: CommandRequest) -> list[Action]:
    data = await deps.db(deps.store.export_user, req.user.platform, req.user.id)
    content = json.dumps(data, indent=2, ensure_ascii=False, default=str).encode("utf-8")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in req.user.id)
    return [
        FileReply(
            user=req.user,
            channel=req.channel,
            content=content,
            filename=msgs.EXPORT_FILENAME.format(user=safe),
            text=msgs.EXPORT_TEXT,
        )
    ]
