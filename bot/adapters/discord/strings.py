"""Strings that only make sense on Discord: start-up errors, command descriptions, owner notices.

Everything the bot says about emotions lives in :mod:`bot.core.strings`; this module holds the
Discord plumbing around it.
"""

from __future__ import annotations

PORTAL = "https://discord.com/developers/applications"

NO_TOKEN = "DISCORD_TOKEN is not set: put the bot token in .env (see docs/discord.md)."
BAD_TOKEN = (
    "Discord rejected the token (401 Unauthorized). Copy a fresh one from {portal} → your "
    "application → Bot → Reset Token, and put it in .env as DISCORD_TOKEN=... (no quotes, no "
    "'Bot ' prefix)."
)
INTENT_MISSING = (
    "Discord closed the connection with code 4014: the privileged Message Content intent is not "
    "enabled for this bot. Open {portal} → your application → Bot → Privileged Gateway Intents, "
    "switch on MESSAGE CONTENT INTENT, save, and start the bot again."
)
CONNECT_FAILED = "Could not reach Discord: {error}"

READY = (
    "Discord: logged in as {user} (id {user_id}) in {guilds} server(s) on {shards}. Slash "
    "commands {scope}. Invite link: {invite}"
)
SYNC_GLOBAL = "synced globally (new commands can take a few minutes to appear)"
SYNC_GUILD = "synced to the development server {guild_id} (instant)"
SYNC_NOT_HERE = "left to the process that holds shard 0"
SYNC_ELSEWHERE = (
    "Discord: this process runs {shards}; the process that holds shard 0 syncs the slash commands"
)
# Close codes Discord uses when the shard settings do not fit the bot.
BAD_SHARD = (
    "Discord closed the connection with code 4010 (invalid shard): DISCORD_SHARD_IDS must be "
    "below DISCORD_SHARD_COUNT, and every process must use the same DISCORD_SHARD_COUNT."
)
SHARDING_REQUIRED = (
    "Discord closed the connection with code 4011 (sharding required): the bot is in too many "
    "servers for {shards}. Raise DISCORD_SHARD_COUNT (Discord wants at most 2,500 servers per "
    "shard), or leave it unset to use the count Discord recommends (docs/discord.md, Sharding)."
)

# Command and option descriptions shown in Discord's UI (max 100 characters each).
GROUP = "Emotion-aware helper: check a text, your mood, labels, privacy"
CONTEXT_MENU = "Label emotion"
DESCRIPTIONS = {
    "check": "How would the bot read this text? Nothing is stored",
    "me": "Your own mood over time (only you see it)",
    "channel": "This channel's mood, as a group",
    "label": "Tell the bot the right emotion for a message",
    "optout": "Stop the bot from reading your messages",
    "optin": "Let the bot read the tone of your messages again",
    "forget": "Delete everything stored about you",
    "export": "Download your data as a file",
    "summary": "Moderators: the weekly mood summary, now",
    "settings": "Moderators: view or change the bot's settings",
    "why": "Why did the bot read a message the way it did?",
    "help": "What the bot does and its commands",
}
OPTION_TEXT = "The text to check"
OPTION_DAYS = "How many days back (default 7)"
OPTION_MESSAGE = "A message link or id (right-click a message → Copy Message Link)"
OPTION_EMOTION = "The emotion the message expresses"
OPTION_CONFIRM = "Set to True to really delete everything"
OPTION_SETTING = "Which setting (leave empty to see them all)"
OPTION_VALUE = "The new value: on, off, off channel, 0.6, default, dm, thread, 30, Europe/Paris..."
OPTION_CHANNEL = "For mod-channel: the moderators' channel (default: this channel)"

PICK_EMOTION = "Which emotion does this message express? (only you see this)"
PICK_EMOTION_PART = "Emotions {first}–{last}"
BAD_MESSAGE_REF = "Give a message link (right-click → Copy Message Link) or a message id."
BUTTON_UNKNOWN = "That button is no longer active."
JUMP = "Jump to message"

OWNER_NO_MOD_CHANNEL = (
    "Hi! I'm the emotion bot in **{guild}**. A message there may need a moderator's attention, "
    "but no moderators' channel is set, so I could not post the alert. In a private channel that "
    "only moderators can see, run `/emotion settings setting:mod-channel value:here`. I only tell "
    "you this once."
)

# The weekly summary (jobs): see docs/discord.md "Weekly summary".
OWNER_NO_MOD_CHANNEL_SUMMARY = (
    "Hi! I'm the emotion bot in **{guild}**. This week's mood summary for the moderators is ready, "
    "but no moderators' channel is set, so I could not post it. In a private channel that only "
    "moderators can see, run `/emotion settings setting:mod-channel value:here`. I only tell you "
    "this once."
)
SUMMARY_NO_MOD_CHANNEL = (
    "server {guild} has no moderators' channel: the summary was not posted (set one with "
    "/emotion settings setting:mod-channel value:here)"
)
NOT_CONNECTED = "not connected to Discord after {seconds:.0f} s: the summary was not posted"
CLOSED = "the Discord client is closed: the summary was not posted"
