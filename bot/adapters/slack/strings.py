"""Strings that only the Slack adapter shows: usage of ``/emotion``, the modal, start-up errors.

What the bot says in conversation (replies, prompts, flags) lives in :mod:`bot.core.strings`.
"""

from __future__ import annotations

COMMAND = "/emotion"

# One line per subcommand: (usage, what it does). Order is the order of the help text.
USAGE: dict[str, tuple[str, str]] = {
    "check": ("check TEXT", "how the bot reads a text (only you see the answer)"),
    "me": ("me [DAYS]", "your own mood over the last DAYS days"),
    "channel": ("channel [DAYS]", "this channel's mood, in aggregate"),
    "label": ("label MESSAGE-LINK EMOTION", "teach the bot the emotion of a message"),
    "why": ("why TEXT | MESSAGE-LINK", "which words made the bot think so"),
    "optout": ("optout", "stop the bot reading your messages"),
    "optin": ("optin", "let the bot read your messages again"),
    "forget": ("forget [confirm]", "delete everything the bot stored about you"),
    "export": ("export", "your data, as a file sent to you"),
    "summary": ("summary", "moderators: the weekly summary now"),
    "settings": ("settings [NAME VALUE]", "moderators: show or change settings"),
    "help": ("help", "this list"),
}

UNKNOWN_SUBCOMMAND = "I don't know `{command} {name}`."
NEEDS_TEXT = (
    "`{command} {name}` needs a text after it, for example `{command} {name} I'm so tired`."
)
BAD_DAYS = "DAYS must be a whole number of days from 1 to 365, not `{value}`."
BAD_MESSAGE_REF = (
    "`{value}` is not a message link. In Slack, open the message's ⋮ menu, choose *Copy link*, "
    "and paste it here — or use the *Label emotion* shortcut on the message itself."
)
BAD_EMOTION = "`{value}` is not one of the bot's emotions: {choices}."
EMOTION_CHOICES = "Emotions: {labels}"
TOO_MANY_ARGS = "`{command} {name}` takes no more than {count} argument(s)."
USAGE_LINE = "Usage: `{command} {usage}`"
HELP_HEADER = "*{command}* — what you can ask:"
INTERNAL_ERROR = "Sorry, something went wrong on my side. Please try again in a moment."
NOT_A_MODERATOR = "Only workspace admins and the configured moderators can review flags."
LABEL_NO_TEXT = "That message has no text to label."

# Block Kit
OPEN_MESSAGE = "Open the message"
CARD_FALLBACK = "Emotion bot"
MODAL_TITLE = "Label emotion"
MODAL_SUBMIT = "Save"
MODAL_CLOSE = "Cancel"
MODAL_PROMPT = "Which emotion does this message express?"
MODAL_PLACEHOLDER = "Choose an emotion"
MODAL_PRIVACY = "The text of this message is kept with your label, to train the bot."

# Start-up (logged, and raised as SlackStartupError by ``run``)
NO_BOT_TOKEN = (
    "SLACK_BOT_TOKEN is not set. Copy the Bot User OAuth Token (xoxb-…) from your app's "
    "*OAuth & Permissions* page into .env."
)
BOT_TOKEN_SHAPE = (
    "SLACK_BOT_TOKEN should start with xoxb- (the Bot User OAuth Token); it starts with {prefix}."
    "{hint}"
)
APP_TOKEN_SHAPE = (
    "SLACK_APP_TOKEN should start with xapp- (an app-level token with the connections:write "
    "scope, from *Basic Information* -> *App-Level Tokens*); it starts with {prefix}."
)
NO_MODE = (
    "Set SLACK_APP_TOKEN (xapp-…) to connect with Socket Mode (recommended, no public URL needed), "
    "or SLACK_SIGNING_SECRET to receive events over HTTP on port {port} at {path}."
)
AUTH_FAILED = "Slack rejected SLACK_BOT_TOKEN ({error}). {advice}"
AUTH_ADVICE = {
    "invalid_auth": "The token is wrong or from another app: copy it again from "
    "*OAuth & Permissions*.",
    "not_authed": "No token was sent: check SLACK_BOT_TOKEN in .env.",
    "token_revoked": "The token was revoked: reinstall the app to your workspace and copy "
    "the new one.",
    "token_expired": "The token expired (token rotation is on): turn rotation off or reinstall.",
    "account_inactive": "The app was uninstalled or its user deactivated: reinstall the app.",
    "not_allowed_token_type": "That is not a bot token: use the Bot User OAuth Token (xoxb-…).",
}
APP_TOKEN_FAILED = "Slack rejected SLACK_APP_TOKEN ({error}). {advice}"
APP_TOKEN_ADVICE = {
    "invalid_auth": "The app-level token is wrong: create one under *Basic Information* -> "
    "*App-Level Tokens* with the connections:write scope.",
    "not_allowed_token_type": "That is not an app-level token (xapp-…) with connections:write.",
    "missing_scope": "The app-level token lacks the connections:write scope: create a new one.",
    "token_revoked": "The app-level token was revoked: create a new one.",
}
SOCKET_MODE_OFF = (
    "Turn on Socket Mode in the app's settings (*Socket Mode* page), or use the manifest."
)
UNREACHABLE = "Could not reach Slack at {url}: {error}. Check the network (and any HTTPS_PROXY)."
CONNECTED = "Slack: signed in to workspace {team!r} ({team_id}) as @{user} ({user_id})."
SOCKET_READY = (
    "Slack: connected with Socket Mode — listening in the channels the bot is a member of."
)
HTTP_READY = (
    "Slack: listening for HTTP requests on http://{host}:{port}{path} — set the app's Request URL "
    "to https://<your public host>{path}."
)

# The weekly summary (jobs): see docs/slack.md "Weekly summary".
SUMMARY_NO_MOD_CHANNEL = (
    "workspace {team} has no moderators' channel: the summary was not posted (set one with "
    "`/emotion settings mod-channel here`)"
)
NOT_RUNNING = "the Slack adapter did not start within {seconds:.0f} s: the summary was not posted"
