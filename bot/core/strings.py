"""Every user-facing string of the bot, in one place.

Tone: warm, short, non-clinical. The bot notices the tone of messages; it never diagnoses anyone,
never says what someone "has", and always leaves people in control (opt out, forget, export).
Adapters keep only platform-only strings (start-up errors) in their own modules.
"""

from __future__ import annotations

import zlib

# --- empathy prompts (sent privately to the author) ----------------------------------------------

EMPATHY_VARIANTS = (
    "Hey {name}, that sounded like a heavy moment. No pressure at all, but if you want to talk, "
    "people here are around. 💙",
    "Just checking in, {name}. Rough days happen, and it's okay to take a breather.",
    "Sending a little warmth your way, {name}. If something is weighing on you, you don't have to "
    "carry it alone.",
    "{name}, your message sounded a bit down. If it helps, reaching out to someone you trust can "
    "make things lighter. Take care of yourself.",
    "Hi {name}, I hope you're doing okay. If you'd like a hand with anything, just say so here.",
)
EMPATHY_FOOTER = (
    "(I'm a bot that notices the tone of messages; this is not a judgement. "
    "`/emotion optout` turns me off for you.)"
)


def empathy_prompt(name: str, key: str) -> str:
    """A prompt chosen deterministically from ``key`` (the message id), so tests are stable and
    consecutive prompts vary."""
    variant = EMPATHY_VARIANTS[zlib.crc32(key.encode("utf-8")) % len(EMPATHY_VARIANTS)]
    return f"{variant.format(name=name or 'there')}\n{EMPATHY_FOOTER}"


EMPATHY_RESOURCES = "If things feel like too much, talking to someone can help. {resources}"

# --- crisis resources and distress flags ---------------------------------------------------------

DEFAULT_CRISIS_RESOURCES = (
    "If someone is in immediate danger, contact local emergency services. "
    "Free, confidential helplines for every country: https://findahelpline.com"
)

DM_CRISIS_REPLY = (
    "I'm really glad you said something. You deserve support right now, and you don't have to go "
    "through this alone. Talking to someone can help:\n{resources}"
)

FLAG_TITLE = "Possible distress: please review"
FLAG_UPDATE_TITLE = "Update: a later message with more concern, please review"
FLAG_LEVELS = {"high": "high concern", "medium": "medium concern", "low": "low", "none": "none"}
FLAG_EARLIER = "{n} earlier message(s) of concern in the last 24 h"
FLAG_FOOTER = (
    "Visible to moderators only. The member has not been told. You decide whether someone "
    "reaches out. Crisis resources: {resources}"
)
FLAG_FIELD_MEMBER = "Member"
FLAG_FIELD_CHANNEL = "Channel"
FLAG_FIELD_SCORE = "Score"
FLAG_FIELD_WHY = "Why"
FLAG_FIELD_MESSAGE = "Message"
FLAG_FIELD_STATE = "State"
FLAG_BUTTONS = (
    ("acknowledged", "Acknowledge"),
    ("resolved", "Resolved"),
    ("false_alarm", "False alarm"),
)
FLAG_STATE_NAMES = {
    "open": "Open",
    "acknowledged": "Acknowledged",
    "resolved": "Resolved",
    "false_alarm": "False alarm",
}
FLAG_REVIEWED = "Flag #{flag_id} marked {state}."
FLAG_REVIEWED_BY = "{state} by {who} at {when}"
FLAG_NOT_FOUND = "I can't find flag #{flag_id}."
FLAG_BAD_STATE = "Unknown review state {state!r}; use acknowledged, resolved or false_alarm."
# After a review: add the message as an example of the community (bot.core.distress.reviewed).
EXAMPLE_TITLE = "Add as an example?"
EXAMPLE_OFFER = {
    "safe": (
        "Add this message as an example of what is not risk, so that messages nearly the same "
        "as it are not flagged in this community?"
    ),
    "risk": (
        "Add this message as an example of risk, so similar messages in this community are flagged?"
    ),
}
EXAMPLE_NOTE = (
    "Only you see this. It counts from now on and goes into the next retraining; its text is "
    "kept for that until its author uses `/emotion forget`."
)
EXAMPLE_BUTTONS = (("add_example", "Add example"), ("no_example", "No"))
EXAMPLE_ADDED = {
    "safe": "Added. Messages nearly the same as this one are no longer flagged in this community.",
    "risk": "Added. Messages like this one count as risk in this community from now on.",
}
EXAMPLE_DECLINED = "Okay, nothing was added."
EXAMPLE_ALREADY = "This message is already an example."
EXAMPLE_NO_TEXT = (
    "I no longer have this message's text (I keep texts in memory for a day only), so it can't "
    "be added as an example."
)
EXAMPLE_UNREADABLE = "I can't read this message well enough to use it as an example."
EXAMPLE_NOT_REVIEWED = (
    "Flag #{flag_id} is no longer marked resolved or false alarm, so nothing was added."
)

# --- commands ------------------------------------------------------------------------------------

HELP = """\
**/emotion** commands
• `check TEXT`: how I'd read a text (nothing is stored)
• `me [days]`: your own mood over time (only you see it)
• `channel [days]`: this channel's mood, as a group
• `label MESSAGE EMOTION`: tell me the right emotion for a message (its text is kept for training)
• `optout` / `optin`: stop or restart reading your messages
• `forget`: delete everything stored about you (asks to confirm)
• `export`: your data as a file
• `why TEXT` or `why MESSAGE`: which words made me read it that way
Moderators: `summary`, `settings` (`mod-channel here`, `threshold 0.6|default`, \
`empathy on|off [channel]`, `empathy-mode dm|thread|off`, `crisis TEXT|default`, `retention DAYS`, \
`min-group N`, `channel on|off`, `timezone Area/City`, `moderator add|remove USER_ID`)
I store emotion labels and scores, never your message text (unless you label a message)."""

UNKNOWN_COMMAND = "I don't know `/emotion {name}`. Try `/emotion help`."
COMMAND_FAILED = (
    "Sorry, something went wrong with that command. It has been logged; try again later."
)
MODERATORS_ONLY = "Only moderators can use `/emotion {name}`."
FLAG_MODERATORS_ONLY = "Only moderators can review distress flags."
BAD_DAYS = "Please give a number of days between 1 and {max_days}."

CHECK_USAGE = "Usage: `/emotion check TEXT`"
CHECK_RESULT_TITLE = "How I read it"
CHECK_FOOTER = "Model {version}. Nothing was stored."
CHECK_UNREAD = (
    "I can't read this one: it looks like another language or script, and my model only "
    "reads English. I don't guess a mood for it; messages like this are counted as not read."
)
CHECK_NOTHING = (
    "There are no words in this for me to read (only code, links or spaces), so I don't guess "
    "a mood for it."
)
CLASSIFIER_UNAVAILABLE = (
    "I can't read emotions right now (the model is unavailable). Try again later."
)

ME_TITLE = "Your mood over the last {days} days"
ME_EMPTY = "I have nothing stored for you in the last {days} days."
ME_FOOTER = "Only you can see this. `/emotion forget` deletes it."

CHANNEL_TITLE = "Mood in #{channel} over the last {days} days"
CHANNEL_EMPTY = "Nothing classified in this channel in the last {days} days."
CHANNEL_HIDDEN = (
    "Too few people wrote here in the last {days} days to show a group mood without singling "
    "anyone out (minimum {min_group})."
)
CHANNEL_FOOTER = "{messages} messages from {members} members. Groups, never individuals."

LABEL_USAGE = "Usage: `/emotion label MESSAGE_ID EMOTION`. Emotions: {labels}"
LABEL_UNKNOWN_EMOTION = "I don't know the emotion {emotion!r}. Choose one of: {labels}"
LABEL_NO_TEXT = (
    "I no longer have the text of that message (I don't store it), so I can't learn from it. "
    "Label a recent message instead."
)
LABEL_NOT_YOURS = "You can label your own messages; moderators can label any."
LABEL_SAVED = "Thanks! Saved {emotion!r} for that message{was}. It will help me learn."
LABEL_WAS = " (I had guessed {label!r})"

OPTED_OUT = (
    "Done: I won't read or store your messages any more. What I stored before is still there; "
    "`/emotion forget` deletes it."
)
ALREADY_OPTED_OUT = "You're already opted out. `/emotion optin` turns me back on."
OPTED_IN = "Welcome back: I'll read the tone of your messages again. `/emotion optout` stops it."
ALREADY_OPTED_IN = "You're already opted in."
OPTED_OUT_NOTE = "(You're opted out, so I'm not reading your messages.)"

FORGET_CONFIRM = (
    "This deletes everything I stored about you (classified messages, labels, flags) and cannot "
    "be undone. Run `/emotion forget confirm` to go ahead."
)
FORGOTTEN = "Done: I deleted {rows} stored rows about you."

EXPORT_TEXT = "Here is everything I store about you."
EXPORT_FILENAME = "emotion-bot-export-{user}.json"

WHY_USAGE = (
    "Usage: `/emotion why TEXT`, or `/emotion why MESSAGE_ID` for a recent message of yours "
    "(moderators: any recent message)."
)
WHY_TITLE = "Why I read it as {emotion} ({score:.0%})"
WHY_QUOTE = "“{text}”"
WHY_UP = "Words that pushed towards {emotion}"
WHY_DOWN = "Words that pushed away from it"
WHY_NONE = "no single word stands out; it is the message as a whole"
WHY_EMPTY = (
    "There are no words I read in that message (code, links and blank text are skipped), "
    "so there is nothing to explain."
)
WHY_CUT = "Only the first {shown} of {total} words were looked at."
WHY_FOOTER = (
    "Each number is how much my score drops when that word is left out. "
    "Model {version}. Nothing was stored."
)
WHY_NO_TEXT = (
    "I no longer have the text of that message (I don't store it). "
    "Use `/emotion why TEXT` with the words instead."
)
WHY_NOT_YOURS = "You can ask about your own messages; moderators can ask about any."

SUMMARY_TITLE = "Mood summary: {start} – {end} (days in {timezone})"
SUMMARY_EMPTY = (
    "No classified messages between {start} and {end}, so there is nothing to summarise."
)
SUMMARY_HIDDEN = (
    "Only {members} members wrote between {start} and {end}, fewer than the minimum group of "
    "{min_group}: no summary, so nobody is singled out."
)
SUMMARY_MIX = "Mood mix"
SUMMARY_FINER = "Top emotions"
SUMMARY_CHANNELS = "Channels that moved most"
SUMMARY_CHANNEL_LINE = "#{name}: negative {share}, {change}"
SUMMARY_PARTICIPATION = "Participation"
SUMMARY_PARTICIPATION_TEXT = (
    "{messages} messages from {members} members (last week: {prev_messages} from {prev_members})"
)
UNREAD_TITLE = "Not read"
UNREAD_FIELD = (
    "{n} {messages} in other languages (or only code) {were} not read: the model reads English "
    "only, so they are in no share above"
)
SUMMARY_UNREAD = (
    "{n} more {messages} in other languages (or only code) {were} not read: the model reads "
    "English only, so they are in no share above"
)
# A change of a share from last week: always with its 95% margin, and whether chance could explain
# it. "points" are percentage points of the share.
SUMMARY_CHANGE = "{direction} {points} ± {margin} points"
SUMMARY_UP = "up"
SUMMARY_DOWN = "down"
SUMMARY_CHANGE_SAME = "same as last week"
SUMMARY_WITHIN_NOISE = "within noise"
SUMMARY_BEYOND_NOISE = "more than chance would explain"
SUMMARY_NOT_COMPARED = "not compared (too few people here last week)"
SUMMARY_NOISE_NOTE = (
    "Changes are in percentage points, ± a 95% margin; “within noise” means chance alone could "
    "explain them."
)
SUMMARY_FLAGS = "Distress flags"
SUMMARY_FLAGS_NONE = "none"
SUMMARY_FLAGS_TEXT = "{total} raised: {states}"
SUMMARY_HIDDEN_CHANNELS = "{n} smaller {channels} hidden (fewer than {min_group} members)"
SUMMARY_FOOTER = "Groups only, never individuals; groups under {min_group} members are hidden."
FAMILY_NAMES = {
    "positive": "Positive",
    "negative": "Negative",
    "neutral": "Neutral",
    "ambiguous": "Mixed / surprise",
    "other": "Other",
}

SETTINGS_TITLE = "Settings"
SETTINGS_SAVED = "Saved: {what}."
SETTINGS_USAGE = (
    "Usage: `/emotion settings [mod-channel here|ID|none | threshold 0..1|default | "
    "empathy on|off [channel] | empathy-mode dm|thread|off | crisis TEXT|default | "
    "crisis-country CC|default | distress-sensitivity low|default|high | "
    "retention DAYS | min-group N | channel on|off | timezone Area/City | "
    "moderator add|remove USER_ID]`"
)
SETTINGS_BAD_VALUE = "That value doesn't work for {name}: {why}"
SETTINGS_DEFAULT = "default"
SETTINGS_NONE = "not set"
