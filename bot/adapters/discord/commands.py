"""``/emotion`` (an ``app_commands.Group`` with typed options) and the "Label emotion" menu.

Every subcommand turns into one :class:`~bot.core.events.CommandRequest` for the core, with the
same positional ``args`` a member would type on Slack or in the console (``me 30``,
``settings empathy off``) and, for the typed options, ``options``. The moderator check happens in
the core, from the member's permissions the adapter puts into ``UserRef.is_moderator``.
"""

from __future__ import annotations

import logging
from typing import Protocol

import discord
from discord import app_commands

from bot.adapters.discord import strings, translate
from bot.adapters.discord.render import emotion_picker

logger = logging.getLogger(__name__)

Days = app_commands.Range[int, 1, 365]

# ``/emotion settings`` keys, as the core's parser names them.
SETTING_KEYS = (
    "mod-channel",
    "threshold",
    "empathy",
    "empathy-mode",
    "crisis",
    "crisis-country",
    "distress-sensitivity",
    "retention",
    "min-group",
    "channel",
    "timezone",
    "moderator",
)


class CommandRunner(Protocol):
    """What the commands need from the client."""

    @property
    def labels(self) -> tuple[str, ...]: ...

    async def run_command(
        self,
        interaction: discord.Interaction,
        name: str,
        args: tuple[str, ...] = (),
        options: dict[str, str] | None = None,
        target_message_id: str | None = None,
    ) -> None: ...


def _d(name: str) -> str:
    return strings.DESCRIPTIONS[name]


class EmotionGroup(app_commands.Group):
    """``/emotion <subcommand>``; guild only (the bot reads servers, not DMs)."""

    def __init__(self, runner: CommandRunner) -> None:
        super().__init__(
            name="emotion",
            description=strings.GROUP,
            guild_only=True,
            allowed_contexts=app_commands.AppCommandContext(guild=True),
        )
        self.runner = runner

    @app_commands.command(name="check", description=_d("check"))
    @app_commands.describe(text=strings.OPTION_TEXT)
    async def check(
        self, interaction: discord.Interaction, text: app_commands.Range[str, 1, 4000]
    ) -> None:
        await self.runner.run_command(interaction, "check", (text,), {"text": text})

    @app_commands.command(name="me", description=_d("me"))
    @app_commands.describe(days=strings.OPTION_DAYS)
    async def me(self, interaction: discord.Interaction, days: Days = 7) -> None:
        await self.runner.run_command(interaction, "me", (str(days),), {"days": str(days)})

    @app_commands.command(name="channel", description=_d("channel"))
    @app_commands.describe(days=strings.OPTION_DAYS)
    async def channel(self, interaction: discord.Interaction, days: Days = 7) -> None:
        await self.runner.run_command(interaction, "channel", (str(days),), {"days": str(days)})

    @app_commands.command(name="label", description=_d("label"))
    @app_commands.describe(message=strings.OPTION_MESSAGE, emotion=strings.OPTION_EMOTION)
    async def label(self, interaction: discord.Interaction, message: str, emotion: str) -> None:
        ref = translate.parse_message_ref(message)
        if ref is None:
            await interaction.response.send_message(strings.BAD_MESSAGE_REF, ephemeral=True)
            return
        message_id = ref[1]
        await self.runner.run_command(
            interaction,
            "label",
            (message_id, emotion),
            {"emotion": emotion},
            target_message_id=message_id,
        )

    @label.autocomplete("emotion")
    async def _emotion_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return emotion_choices(self.runner.labels, current)

    @app_commands.command(name="optout", description=_d("optout"))
    async def optout(self, interaction: discord.Interaction) -> None:
        await self.runner.run_command(interaction, "optout")

    @app_commands.command(name="optin", description=_d("optin"))
    async def optin(self, interaction: discord.Interaction) -> None:
        await self.runner.run_command(interaction, "optin")

    @app_commands.command(name="forget", description=_d("forget"))
    @app_commands.describe(confirm=strings.OPTION_CONFIRM)
    async def forget(self, interaction: discord.Interaction, confirm: bool = False) -> None:
        args, options = (("confirm",), {"confirm": "yes"}) if confirm else ((), {})
        await self.runner.run_command(interaction, "forget", args, options)

    @app_commands.command(name="export", description=_d("export"))
    async def export(self, interaction: discord.Interaction) -> None:
        await self.runner.run_command(interaction, "export")

    @app_commands.command(name="summary", description=_d("summary"))
    async def summary(self, interaction: discord.Interaction) -> None:
        await self.runner.run_command(interaction, "summary")

    @app_commands.command(name="settings", description=_d("settings"))
    @app_commands.describe(
        setting=strings.OPTION_SETTING, value=strings.OPTION_VALUE, channel=strings.OPTION_CHANNEL
    )
    @app_commands.choices(setting=[app_commands.Choice(name=k, value=k) for k in SETTING_KEYS])
    async def settings(
        self,
        interaction: discord.Interaction,
        setting: str | None = None,
        value: str | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        await self.runner.run_command(
            interaction, "settings", *settings_args(setting, value, channel)
        )

    @app_commands.command(name="why", description=_d("why"))
    @app_commands.describe(message=strings.OPTION_MESSAGE)
    async def why(self, interaction: discord.Interaction, message: str) -> None:
        ref = translate.parse_message_ref(message)
        if ref is None:
            await interaction.response.send_message(strings.BAD_MESSAGE_REF, ephemeral=True)
            return
        await self.runner.run_command(
            interaction, "why", (ref[1],), {"message": ref[1]}, target_message_id=ref[1]
        )

    @app_commands.command(name="help", description=_d("help"))
    async def help(self, interaction: discord.Interaction) -> None:
        await self.runner.run_command(interaction, "help")


def emotion_choices(labels: tuple[str, ...], current: str) -> list[app_commands.Choice[str]]:
    """Up to 25 labels of the current model matching what the member typed (prefix first)."""
    needle = current.strip().lower()
    starts = [label for label in labels if label.lower().startswith(needle)]
    contains = [label for label in labels if needle in label.lower() and label not in starts]
    return [app_commands.Choice(name=label, value=label) for label in (starts + contains)[:25]]


def settings_args(
    setting: str | None, value: str | None, channel: discord.abc.GuildChannel | None
) -> tuple[tuple[str, ...], dict[str, str]]:
    """Typed options -> the core's ``settings`` words (``empathy off channel``, ``mod-channel ID``).

    ``value`` is split into words except for ``crisis``, whose value is free text; the
    ``channel`` option names the moderators' channel (``mod-channel`` without a value or channel
    means this channel). Per-channel settings apply to the channel the command is run in.
    """
    if setting is None:
        return (), {}
    options = {"setting": setting}
    words: list[str] = []
    if value:
        options["value"] = value
        words = [value] if setting == "crisis" else value.split()
    if setting == "mod-channel":
        if channel is not None:
            words = [str(channel.id)]
        elif not words:
            words = ["here"]
    return (setting, *words), options


def label_context_menu(runner: CommandRunner) -> app_commands.ContextMenu:
    """Right-click a message → Apps → "Label emotion": an ephemeral emotion picker."""

    @app_commands.guild_only()
    async def label_emotion(interaction: discord.Interaction, message: discord.Message) -> None:
        view = emotion_picker(str(message.channel.id), str(message.id), runner.labels)
        await interaction.response.send_message(strings.PICK_EMOTION, view=view, ephemeral=True)

    return app_commands.ContextMenu(name=strings.CONTEXT_MENU, callback=label_emotion)
