"""Moderator commands: ``/emotion summary`` and ``/emotion settings ...``.

``settings`` with no arguments shows the community's and this channel's settings; otherwise
``settings NAME VALUE...`` (or the options ``setting``, ``value``, ``scope`` on platforms with
typed options) changes one of:

=================  ====================================================================
mod-channel        ``here`` (this channel), a channel id, or ``none``
threshold          this channel's empathy threshold, ``0..1`` or ``default``
empathy            ``on`` / ``off`` for the community, or ``on|off channel`` for this channel
empathy-mode       ``dm`` / ``thread`` / ``off``: how prompts reach people (Discord)
crisis             the crisis-resources text shown to moderators, or ``default``
crisis-country     ``US``, ``GB``, ... (ISO 3166): that country's helplines, or ``default``
distress-sensitivity  ``low`` / ``default`` / ``high``: the flag budget (share of chat flagged)
retention          days stored rows are kept (1..3650; at most the bot's global retention)
min-group          smallest group shown in summaries and ``channel`` (2..1000)
channel            ``on`` / ``off``: whether the bot reads this channel at all
timezone           ``Area/City`` for the weekly summary
moderator          ``add`` / ``remove`` USER_ID: extra moderators
=================  ====================================================================
"""

from __future__ import annotations

import logging
from dataclasses import replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core import strings as msgs
from bot.core.commands.common import reply
from bot.core.deps import Deps
from bot.core.distress.detector import SENSITIVITIES
from bot.core.distress.resources import RESOURCES
from bot.core.events import Action, Card, CommandRequest
from bot.core.policy import EMPATHY_MODES, is_moderator
from bot.core.records import ChannelSettings, CommunitySettings
from bot.core.weekly import weekly_summary

logger = logging.getLogger(__name__)

ON = ("on", "yes", "true", "enable", "enabled")
OFF = ("off", "no", "false", "disable", "disabled")


class BadValue(ValueError):
    """A setting's value that cannot be used (the message says why)."""


class UnknownSetting(BadValue):
    """A setting name that does not exist."""


async def _require_moderator(deps: Deps, req: CommandRequest) -> list[Action] | None:
    settings = await deps.community_settings(req.channel.community)
    if is_moderator(req.user, settings):
        return None
    logger.info("%s is not a moderator: /emotion %s refused", req.user.id, req.name)
    return reply(req, msgs.MODERATORS_ONLY.format(name=req.name))


async def cmd_summary(deps: Deps, req: CommandRequest) -> list[Action]:
    refused = await _require_moderator(deps, req)
    if refused:
        return refused
    _, card = await weekly_summary(deps, req.channel.community)
    return reply(req, card=card)


def _switch(value: str, name: str) -> bool:
    if value.lower() in ON:
        return True
    if value.lower() in OFF:
        return False
    raise BadValue(f"{name} takes on or off")


def _number(value: str, name: str, low: float, high: float, kind: type = float) -> float:
    try:
        number = kind(value)
    except ValueError:
        raise BadValue(f"{name} needs a number") from None
    if not low <= number <= high:
        raise BadValue(f"{name} must be between {low} and {high}")
    return number


def _words(req: CommandRequest) -> list[str]:
    if req.args:
        return list(req.args)
    words = [req.options.get(k, "") for k in ("setting", "value", "scope")]
    return [w for w in words if w]


def _show(comm: CommunitySettings, chan: ChannelSettings, default_threshold: float) -> Card:
    none = msgs.SETTINGS_NONE
    threshold = chan.empathy_threshold
    fields = (
        ("mod-channel", comm.mod_channel_id or none),
        (
            "threshold (this channel)",
            f"{threshold}"
            if threshold is not None
            else f"{msgs.SETTINGS_DEFAULT} ({default_threshold})",
        ),
        (
            "empathy",
            f"community {'on' if comm.empathy_enabled else 'off'}, this channel "
            f"{'on' if chan.empathy_enabled else 'off'}",
        ),
        ("empathy-mode", comm.empathy_mode),
        ("crisis", comm.crisis_resources or msgs.SETTINGS_DEFAULT),
        ("crisis-country", comm.crisis_country or msgs.SETTINGS_DEFAULT),
        ("distress-sensitivity", comm.distress_sensitivity or msgs.SETTINGS_DEFAULT),
        ("retention", f"{comm.retention_days} days"),
        ("min-group", str(comm.min_group_size)),
        ("channel", "on" if chan.enabled else "off"),
        ("timezone", comm.timezone),
        ("moderator", ", ".join(comm.moderators) or none),
    )
    return Card(title=msgs.SETTINGS_TITLE, fields=fields, footer=msgs.SETTINGS_USAGE)


def _apply(
    name: str,
    values: list[str],
    req: CommandRequest,
    comm: CommunitySettings,
    chan: ChannelSettings,
    max_retention: int,
) -> tuple[CommunitySettings, ChannelSettings, str]:
    """The new settings and a description of the change; raises BadValue."""
    if not values:
        raise BadValue("a value is missing")
    value = values[0]
    if name == "mod-channel":
        target = req.channel.id if value.lower() == "here" else value
        target_or_none = None if value.lower() == "none" else target
        return replace(comm, mod_channel_id=target_or_none), chan, f"mod-channel = {target_or_none}"
    if name == "threshold":
        if value.lower() == "default":
            return comm, replace(chan, empathy_threshold=None), "threshold = default"
        number = _number(value, name, 0.0, 1.0)
        return comm, replace(chan, empathy_threshold=number), f"threshold = {number}"
    if name == "empathy":
        on = _switch(value, name)
        if len(values) > 1 and values[1].lower() == "channel":
            return comm, replace(chan, empathy_enabled=on), f"empathy in this channel = {value}"
        return replace(comm, empathy_enabled=on), chan, f"empathy = {value}"
    if name == "empathy-mode":
        if value.lower() not in EMPATHY_MODES:
            raise BadValue(f"use one of {', '.join(EMPATHY_MODES)}")
        return replace(comm, empathy_mode=value.lower()), chan, f"empathy-mode = {value.lower()}"
    if name == "crisis":
        text = " ".join(values).strip()
        resources = None if text.lower() == "default" else text
        return replace(comm, crisis_resources=resources), chan, "crisis resources updated"
    if name == "crisis-country":
        code = value.strip().upper()
        if code == "DEFAULT":
            return replace(comm, crisis_country=None), chan, "crisis-country = default"
        if code not in RESOURCES:
            known = ", ".join(sorted(RESOURCES))
            raise BadValue(f"no reviewed list for {code[:8]!r} (known: {known}); use crisis TEXT")
        return replace(comm, crisis_country=code), chan, f"crisis-country = {code}"
    if name == "distress-sensitivity":
        level = value.strip().lower()
        if level not in SENSITIVITIES:
            raise BadValue(f"use one of {', '.join(SENSITIVITIES)}")
        chosen = None if level == "default" else level
        return replace(comm, distress_sensitivity=chosen), chan, f"distress-sensitivity = {level}"
    if name == "retention":
        days = int(_number(value, name, 1, max_retention, int))
        return replace(comm, retention_days=days), chan, f"retention = {days} days"
    if name == "min-group":
        size = int(_number(value, name, 2, 1000, int))
        return replace(comm, min_group_size=size), chan, f"min-group = {size}"
    if name == "channel":
        on = _switch(value, name)
        return comm, replace(chan, enabled=on), f"reading this channel = {value}"
    if name == "timezone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise BadValue(f"unknown time zone {value!r}") from None
        return replace(comm, timezone=value), chan, f"timezone = {value}"
    if name == "moderator":
        if len(values) < 2 or value.lower() not in ("add", "remove"):
            raise BadValue("use moderator add|remove USER_ID")
        user = values[1]
        mods = [m for m in comm.moderators if m != user]
        if value.lower() == "add":
            mods.append(user)
        return replace(comm, moderators=tuple(mods)), chan, f"moderator {value.lower()} {user}"
    raise UnknownSetting(name)


async def cmd_settings(deps: Deps, req: CommandRequest) -> list[Action]:
    refused = await _require_moderator(deps, req)
    if refused:
        return refused
    community = req.channel.community
    comm = await deps.community_settings(community)
    chan = await deps.channel_settings(req.channel)
    words = _words(req)
    if not words:
        return reply(req, card=_show(comm, chan, deps.options.empathy_threshold))
    name = words[0].lower()
    try:
        new_comm, new_chan, what = _apply(
            name, words[1:], req, comm, chan, deps.options.retention_days
        )
    except UnknownSetting:
        return reply(req, msgs.SETTINGS_USAGE)
    except BadValue as exc:
        return reply(req, msgs.SETTINGS_BAD_VALUE.format(name=name, why=exc))
    if new_comm != comm:
        await deps.save_community_settings(community, new_comm)
    if new_chan != chan:
        await deps.save_channel_settings(req.channel, new_chan)
    logger.info(
        "settings of %s/%s changed by %s: %s", community.platform, community.id, req.user.id, what
    )
    return reply(req, msgs.SETTINGS_SAVED.format(what=what))
