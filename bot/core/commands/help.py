"""``/emotion help``."""

from __future__ import annotations

import logging

from bot.core import strings as msgs
from bot.core.commands.common import reply
from bot.core.deps import Deps
from bot.core.events import Action, CommandRequest

logger = logging.getLogger(__name__)


async def cmd_help(deps: Deps, req: CommandRequest) -> list[Action]:
    return reply(req, msgs.HELP)
