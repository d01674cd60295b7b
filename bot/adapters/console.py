"""The console adapter (``emotion-bot chat``): a terminal session as one channel of one community.

Every line you type is a message from the current member; the session prints how the bot read it,
the empathy prompts (as the member would see them privately), the distress flags (as the
moderators' channel would show them) and every card as text. It reads stdin line by line, so a
transcript can be piped in (the tests do)::

    printf 'I love this\\n/as sam\\nugh this is awful\\n/emotion me\\n' | emotion-bot chat

Console commands: ``/as NAME [mod]`` switch member (``mod``: a moderator), ``/emotion ...`` run a
bot command, ``/review FLAG STATE`` press a flag button (acknowledged | resolved | false_alarm),
``/edit ID TEXT``, ``/delete ID``, ``/dm TEXT`` (a direct message to the bot), ``/help``, ``/quit``.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
import sys
from pathlib import Path
from typing import TextIO

from bot.core.events import (
    Action,
    Card,
    ChannelRef,
    ChatMessage,
    CommandRequest,
    CommunityRef,
    DistressFlag,
    EmpathyPrompt,
    FileReply,
    Reply,
    UpdateFlagMessage,
    UserRef,
)
from bot.core.ports import Prediction
from bot.core.service import EmotionService

logger = logging.getLogger(__name__)

PLATFORM = "console"
CONSOLE_HELP = """\
Type a message to post it as the current member. Console commands:
  /as NAME [mod]       switch member (add "mod" for a moderator)
  /emotion COMMAND     run a bot command (/emotion help lists them)
  /review FLAG STATE   press a flag button: acknowledged | resolved | false_alarm
  /edit ID TEXT        edit one of your messages     /delete ID   delete a message
  /dm TEXT             send the bot a direct message  /quit        leave"""
TOP_SCORES = 3
ID_PREFIX = "c"  # message ids: c1, c2, ... numbered on across sessions


def render_card(card: Card, indent: str = "  ") -> str:
    """A card as plain text (buttons shown with the console command that presses them)."""
    lines = [f"┌─ {card.title}"]
    lines += [f"│ {line}" for line in card.body.splitlines()]
    for name, value in card.fields:
        values = value.splitlines() or [""]
        if len(values) == 1:
            lines.append(f"│ {name}: {values[0]}")
        else:  # a list reads as one: heading, then every item under it, aligned
            lines.append(f"│ {name}:")
            lines += [f"│   {line}" for line in values]
    if card.link:
        lines.append(f"│ link: {card.link}")
    if card.buttons:
        lines.append("│ " + "  ".join(f"[{label}]" for _, label in card.buttons))
        flag = card.buttons[0][0].split(":")
        if flag[0] == "flag" and len(flag) == 3:
            # a flag's review buttons, or the "add as an example?" answers after a review
            states = "|".join(action.rsplit(":", 1)[-1] for action, _ in card.buttons)
            if flag[2] in ("acknowledged", "resolved", "false_alarm"):
                states = "acknowledged|resolved|false_alarm"
            lines.append(f"│   (/review {flag[1]} {states})")
    if card.footer:
        lines.append(f"└─ {card.footer}")
    else:
        lines.append("└─")
    return "\n".join(indent + line for line in lines)


class ConsoleAdapter:
    """One community, one channel, any number of members typing in turn."""

    def __init__(
        self,
        service: EmotionService,
        *,
        community: str = "console",
        channel: str = "general",
        member: str = "alex",
        member_is_moderator: bool = True,
        out: TextIO | None = None,
        files_dir: Path | None = None,
        last_id: int = 0,
    ) -> None:
        """``last_id``: the highest number of the ``c<N>`` message ids the store already holds
        (:meth:`bot.storage.SqlStore.highest_numbered_id`); this session numbers on from it, so
        it never replaces the messages of an earlier session."""
        self.service = service
        self.out = out or sys.stdout
        self.files_dir = files_dir
        self.community = CommunityRef(PLATFORM, community, community)
        self.channel = ChannelRef(self.community, channel, channel)
        self.dm = ChannelRef(self.community, f"dm-{member}", "direct message", is_direct=True)
        self.user = self._user(member, member_is_moderator)
        self._next_id = last_id
        self.running = True
        service.observer = self

    # --- output ------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def classified(self, message: ChatMessage, prediction: Prediction) -> None:
        top = sorted(prediction.scores.items(), key=lambda kv: -kv[1])[:TOP_SCORES]
        scores = " · ".join(f"{label} {score:.2f}" for label, score in top)
        note = f" [{prediction.note}]" if prediction.note else ""
        self.say(f"  [{message.id}] {scores}{note}")

    def skipped(self, message: ChatMessage, reason: str) -> None:
        self.say(f"  [{message.id}] not read ({reason.replace('_', ' ')})")

    def _save(self, name: str, content: bytes) -> str:
        if self.files_dir is None:
            return f"{name}, {len(content)} bytes (not saved; use --files-dir)"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.files_dir / name
        path.write_bytes(content)
        return f"{path} ({len(content)} bytes)"

    def render(self, action: Action) -> None:
        if isinstance(action, Reply):
            who = (
                f"privately to {action.private_to.name or action.private_to.id}"
                if action.private_to
                else f"in #{action.channel.name or action.channel.id}"
            )
            self.say(f"  bot ({who}):")
            if action.text:
                self.say("\n".join(f"    {line}" for line in action.text.splitlines()))
            if action.card:
                self._card(action.card)
        elif isinstance(action, EmpathyPrompt):
            self.say(f"  💬 privately to {action.user.name or action.user.id} ({action.mode}):")
            self.say("\n".join(f"    {line}" for line in action.text.splitlines()))
        elif isinstance(action, DistressFlag):
            where = f"#{action.mod_channel_id}" if action.mod_channel_id else "moderators"
            self.say(f"  🚩 to {where} (never shown in #{self.channel.name}):")
            self._card(action.card)
        elif isinstance(action, UpdateFlagMessage):
            self.say(f"  🔁 flag #{action.flag_id} updated in the moderators' channel:")
            self._card(action.card)
        elif isinstance(action, FileReply):
            self.say(
                f"  📎 file for {action.user.name or action.user.id}: "
                f"{self._save(action.filename, action.content)}"
            )
            if action.text:
                self.say(f"    {action.text}")

    async def post_summary(self, community: CommunityRef, card: Card) -> None:
        """The jobs' notifier (:class:`bot.jobs.notify.ModeratorNotifier`): the weekly summary
        and job notices, as the moderators' channel would show them."""
        self.say("  📊 to the moderators' channel:")
        self._card(card)

    def _card(self, card: Card) -> None:
        self.say(render_card(card, indent="    "))
        if card.image_png:
            self.say(f"    🖼  {self._save(card.image_name, card.image_png)}")

    # --- input -------------------------------------------------------------------------------

    def _user(self, name: str, moderator: bool) -> UserRef:
        return UserRef(PLATFORM, name.lower(), name, is_moderator=moderator)

    def _message(
        self, text: str, *, message_id: str | None = None, edit: bool = False, direct: bool = False
    ) -> ChatMessage:
        if message_id is None:
            self._next_id += 1
            message_id = f"{ID_PREFIX}{self._next_id}"
        return ChatMessage(
            id=message_id,
            channel=self.dm if direct else self.channel,
            author=self.user,
            text=text,
            sent_at=self.service.clock(),
            is_edit=edit,
            permalink=f"console://{self.channel.name}/{message_id}",
        )

    async def handle_line(self, line: str) -> None:
        """Process one line of input (a message or a console command)."""
        line = line.rstrip("\r\n")
        if not line.strip():
            return
        if not line.startswith("/"):
            await self._post(self._message(line))
            return
        try:
            words = shlex.split(line)
        except ValueError:
            words = line.split()
        head, rest = words[0].lower(), words[1:]
        raw_rest = line.split(None, 1)[1] if len(line.split(None, 1)) > 1 else ""
        if head == "/emotion":
            name = rest[0] if rest else "help"
            req = CommandRequest(
                name=name, args=tuple(rest[1:]), user=self.user, channel=self.channel
            )
            for action in await self.service.handle_command(req):
                self.render(action)
        elif head == "/as" and rest:
            self.user = self._user(
                rest[0], len(rest) > 1 and rest[1].lower() in ("mod", "moderator")
            )
            self.dm = ChannelRef(
                self.community, f"dm-{self.user.id}", "direct message", is_direct=True
            )
            role = " (moderator)" if self.user.is_moderator else ""
            self.say(f"  now typing as {self.user.name}{role}")
        elif head == "/review" and len(rest) == 2 and rest[0].lstrip("#").isdigit():
            for action in await self.service.on_flag_review(
                int(rest[0].lstrip("#")), rest[1], self.user
            ):
                self.render(action)
        elif head == "/edit" and len(rest) >= 2:
            await self._post(
                self._message(raw_rest.split(None, 1)[1], message_id=rest[0], edit=True)
            )
        elif head == "/delete" and len(rest) == 1:
            await self.service.on_message_deleted(PLATFORM, rest[0])
            self.say(f"  [{rest[0]}] deleted")
        elif head == "/dm" and rest:
            await self._post(self._message(raw_rest, direct=True))
        elif head in ("/quit", "/exit"):
            self.running = False
        else:
            self.say(CONSOLE_HELP)

    async def _post(self, message: ChatMessage) -> None:
        for action in await self.service.on_message(message):
            self.render(action)

    async def run(self, stdin: TextIO | None = None) -> int:
        """Read lines until end of input or ``/quit``."""
        stdin = stdin or sys.stdin
        interactive = stdin.isatty()
        model = self.service.classifier.version
        self.say(
            f"emotion-bot console: #{self.channel.name} in {self.community.name}, "
            f"model {model}. You are {self.user.name}. /help for commands."
        )
        while self.running:
            if interactive:
                print(f"{self.user.name}> ", end="", file=self.out, flush=True)
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            if not interactive and line.strip():
                self.say(f"{self.user.name}> {line.rstrip()}")
            try:
                await self.handle_line(line)
            except Exception:  # the console must survive anything the user types
                logger.exception("console line failed: %r", line[:200])
                self.say("  (that failed; see the log)")
        return 0
