"""The ``/emotion`` commands: one implementation used by every adapter.

Every reply is private to the person who asked (ephemeral where the platform has it). One module per
command family (check, mood, label, privacy, why, help; the moderators' ``summary`` and
``settings`` in :mod:`bot.core.commands.admin`); :func:`dispatch` runs one.

What each command reads from :class:`CommandRequest` (``args`` as typed, or named ``options`` on
platforms with typed options):

==========  =================================================================================
check       ``args`` joined, or ``options["text"]``
me/channel  ``args[0]`` or ``options["days"]`` (default 30 / 7)
label       ``target_message_id`` (context menu / shortcut) + ``args[0]`` or
            ``options["emotion"]``; or ``args`` (message id, emotion) / ``options["message"]``.
            ``options["text"]``: the message's text when the adapter has it; otherwise the text
            the service saw recently (kept in memory only) is used
forget      ``args == ("confirm",)`` or ``options["confirm"] == "yes"``
settings    ``args`` (name, value...) or ``options["setting"]``, ``["value"]``, ``["scope"]``
==========  =================================================================================
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.core import strings as msgs
from bot.core.commands import admin, check, help, label, mood, privacy, why
from bot.core.commands.common import reply
from bot.core.deps import Deps
from bot.core.events import Action, CommandRequest
from bot.core.lanes import command_lane

logger = logging.getLogger(__name__)

Handler = Callable[[Deps, CommandRequest], Awaitable[list[Action]]]

HANDLERS: dict[str, Handler] = {
    "check": check.cmd_check,
    "me": mood.cmd_me,
    "channel": mood.cmd_channel,
    "label": label.cmd_label,
    "optout": privacy.cmd_optout,
    "optin": privacy.cmd_optin,
    "forget": privacy.cmd_forget,
    "export": privacy.cmd_export,
    "summary": admin.cmd_summary,
    "settings": admin.cmd_settings,
    "why": why.cmd_why,
    "help": help.cmd_help,
}
COMMANDS = tuple(HANDLERS)


async def dispatch(deps: Deps, req: CommandRequest) -> list[Action]:
    """Run the handler for ``req.name``; an unknown name gets a hint, not an error."""
    name = req.name.strip().lower()
    handler = HANDLERS.get(name)
    if handler is None:
        logger.info("unknown command %r from %s", req.name, req.user.id)
        return reply(req, msgs.UNKNOWN_COMMAND.format(name=req.name))
    logger.debug("command %s by %s", name, req.user.id)
    with command_lane():  # ahead of queued messages (bot.core.lanes)
        return await handler(deps, req)
