"""The core's :class:`Card` -> Slack Block Kit, and the modal of the "Label emotion" shortcut.

Everything here is pure (dicts in, dicts out) and keeps within Block Kit's limits: a header of 150
characters, section text of 3,000, at most 10 fields per section, 25 buttons per actions block and
50 blocks per message. Card text is plain text from the core, so ``& < >`` are escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from bot.adapters.slack import strings
from bot.core.events import Card

Block = dict[str, Any]

# Slack blocks have no colour; a leading emoji carries the card's tone instead.
_COLOR_EMOJI = {"danger": ":rotating_light:", "warning": ":warning:", "good": ":white_check_mark:"}
MAX_BLOCKS = 50
MODAL_CALLBACK_ID = "label_emotion_modal"
MODAL_BLOCK_ID = "emotion"
MODAL_ACTION_ID = "emotion_select"
_METADATA_LIMIT = 3000


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
_STRIKE = re.compile(r"~~(.+?)~~", re.S)
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


def to_mrkdwn(text: str, *, links: bool = True) -> str:
    """The core's Markdown-ish text -> Slack mrkdwn.

    ``& < >`` are escaped; ``**bold**`` -> ``*bold*``, ``~~struck~~`` -> ``~struck~``,
    ``[label](https://…)`` -> ``<https://…|label>`` unless ``links`` is False (text a member
    wrote: a label hiding its target is a disguised link); backticks and bullets are the same.
    """
    text = escape(text)
    if links:
        text = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", text)
    text = _BOLD.sub(r"*\1*", text)
    return _STRIKE.sub(r"~\1~", text)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": _cut(text, limit), "emoji": True}


def _mrkdwn(text: str, limit: int = 3000) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _cut(text, limit)}


def card_blocks(card: Card) -> list[Block]:
    """Render a card: header, body, fields, link, buttons, footer."""
    blocks: list[Block] = []
    emoji = _COLOR_EMOJI.get(card.color)
    if card.title:
        title = f"{emoji} {card.title}" if emoji else card.title
        blocks.append({"type": "header", "text": _plain(title, 150)})
    if card.body:
        for start in range(0, len(card.body), 2900):
            blocks.append(
                {"type": "section", "text": _mrkdwn(to_mrkdwn(card.body[start : start + 2900]))}
            )
    for start in range(0, len(card.fields), 10):
        chunk = card.fields[start : start + 10]
        # Field values carry what members wrote (name, message excerpt): no links made from them.
        fields = [
            _mrkdwn(f"*{escape(name)}*\n{to_mrkdwn(value, links=False)}", 2000)
            for name, value in chunk
        ]
        blocks.append({"type": "section", "fields": fields})
    if card.link:
        blocks.append({"type": "section", "text": _mrkdwn(f"<{card.link}|{strings.OPEN_MESSAGE}>")})
    if card.buttons:
        for start in range(0, len(card.buttons), 25):
            elements = [
                _button(action_id, label) for action_id, label in card.buttons[start : start + 25]
            ]
            blocks.append({"type": "actions", "elements": elements})
    if card.footer:
        blocks.append({"type": "context", "elements": [_mrkdwn(to_mrkdwn(card.footer), 2000)]})
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], {"type": "context", "elements": [_mrkdwn("…")]}]
    return blocks


def _button(action_id: str, label: str) -> Block:
    return {
        "type": "button",
        "action_id": action_id[:255],
        "value": action_id[:2000],
        "text": _plain(label, 75),
    }


def card_text(card: Card) -> str:
    """The fallback ``text`` Slack shows in notifications and to screen readers.

    Slack reads it as mrkdwn like the blocks, so it is escaped like them: a member's
    ``<!channel>``, ``<@U…>`` or ``<http://x|disguised>`` arrives as the characters typed.
    """
    parts = [card.title, card.body]
    parts += [f"{name}: {value}" for name, value in card.fields]
    if card.link:
        parts.append(card.link)
    text = escape("\n".join(p for p in parts if p))
    if len(text) > 3000:  # cut, but never inside an entity ("&am…")
        text = _PARTIAL_ENTITY.sub("", text[:2999]) + "…"
    return text or strings.CARD_FALLBACK


def label_modal(labels: Sequence[str], *, metadata: dict[str, str], preview: str) -> dict[str, Any]:
    """The modal the "Label emotion" message shortcut opens: the message, and a select of emotions.

    ``metadata`` (channel, ts, text, response_url) travels in ``private_metadata`` (3,000 characters
    at most; a long message text is shortened to fit).
    """
    options = [
        {"text": _plain(label.replace("_", " "), 75), "value": label[:150]}
        for label in labels[:100]
    ]
    quoted = "\n".join(f"> {line}" for line in escape(_cut(preview, 500)).splitlines()) or "> …"
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK_ID,
        "title": _plain(strings.MODAL_TITLE, 24),
        "submit": _plain(strings.MODAL_SUBMIT, 24),
        "close": _plain(strings.MODAL_CLOSE, 24),
        "private_metadata": pack_metadata(metadata),
        "blocks": [
            {"type": "section", "text": _mrkdwn(quoted)},
            {
                "type": "input",
                "block_id": MODAL_BLOCK_ID,
                "label": _plain(strings.MODAL_PROMPT, 2000),
                "element": {
                    "type": "static_select",
                    "action_id": MODAL_ACTION_ID,
                    "placeholder": _plain(strings.MODAL_PLACEHOLDER, 150),
                    "options": options,
                },
            },
            {"type": "context", "elements": [_mrkdwn(strings.MODAL_PRIVACY)]},
        ],
    }


def pack_metadata(metadata: dict[str, str]) -> str:
    """JSON within ``private_metadata``'s 3,000 characters, shortening ``text`` if needed."""

    def dump(text_length: int | None) -> str:
        data = dict(metadata)
        if text_length is not None:
            data["text"] = data.get("text", "")[:text_length]
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    packed = dump(None)
    if len(packed) <= _METADATA_LIMIT:
        return packed
    low, high = 0, len(metadata.get("text", ""))  # the longest prefix that fits: binary search
    while low < high:
        middle = (low + high + 1) // 2
        if len(dump(middle)) <= _METADATA_LIMIT:
            low = middle
        else:
            high = middle - 1
    return dump(low)


def unpack_metadata(raw: str | None) -> dict[str, str]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def selected_emotion(view: dict[str, Any]) -> str | None:
    """The emotion chosen in a submitted :func:`label_modal`."""
    state = (view.get("state") or {}).get("values") or {}
    selected = (state.get(MODAL_BLOCK_ID) or {}).get(MODAL_ACTION_ID) or {}
    option = selected.get("selected_option") or {}
    value = option.get("value")
    return str(value) if value else None
