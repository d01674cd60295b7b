"""Card -> Block Kit, the label modal, and ``/emotion`` parsing (pure functions)."""

from __future__ import annotations

import json

import pytest

from bot.adapters.slack.cmdparse import ParsedCommand, UsageProblem, parse
from bot.adapters.slack.render import (
    card_blocks,
    card_text,
    label_modal,
    pack_metadata,
    selected_emotion,
    to_mrkdwn,
    unpack_metadata,
)
from bot.core.events import Card
from classifier.scheme import goemotions_scheme

LABELS = goemotions_scheme().labels


def test_card_renders_every_part_in_order() -> None:
    card = Card(
        title="Possible distress",
        body="a <b> & **bold**",
        fields=(("Member", "ana"), ("Score", "0.91")),
        link="https://acme.slack.com/archives/C1/p1",
        color="danger",
        buttons=(("flag:7:acknowledged", "Acknowledge"), ("flag:7:resolved", "Resolve")),
        footer="moderators only",
    )
    blocks = card_blocks(card)
    assert [b["type"] for b in blocks] == [
        "header",
        "section",
        "section",
        "section",
        "actions",
        "context",
    ]
    assert blocks[0]["text"]["text"] == ":rotating_light: Possible distress"
    assert blocks[1]["text"]["text"] == "a &lt;b&gt; &amp; *bold*"
    assert blocks[2]["fields"][0]["text"] == "*Member*\nana"
    assert "<https://acme.slack.com/archives/C1/p1|" in blocks[3]["text"]["text"]
    assert [e["action_id"] for e in blocks[4]["elements"]] == [
        "flag:7:acknowledged",
        "flag:7:resolved",
    ]
    assert "Possible distress" in card_text(card)


def test_card_stays_within_block_kit_limits() -> None:
    card = Card(
        title="t" * 400,
        body="b" * 7000,
        fields=tuple((f"f{i}", "v") for i in range(23)),
        buttons=tuple((f"a{i}", "x" * 100) for i in range(30)),
    )
    blocks = card_blocks(card)
    assert len(blocks[0]["text"]["text"]) <= 150
    sections = [b for b in blocks if b["type"] == "section"]
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in sections)
    assert all(len(b.get("fields", [])) <= 10 for b in sections)
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [len(a["elements"]) for a in actions] == [25, 5]
    assert all(len(e["text"]["text"]) <= 75 for a in actions for e in a["elements"])
    many = Card(title="x", fields=tuple((str(i), "v") for i in range(600)))
    assert len(card_blocks(many)) == 50


def test_markdown_becomes_mrkdwn() -> None:
    assert to_mrkdwn("**/emotion** commands") == "*/emotion* commands"
    assert to_mrkdwn("see [docs](https://x.io/a)") == "see <https://x.io/a|docs>"
    assert to_mrkdwn("~~no~~ & `code`") == "~no~ &amp; `code`"


def test_label_modal_offers_every_label_and_round_trips_its_metadata() -> None:
    meta = {"channel": "C1", "ts": "1.000001", "text": "héllo", "response_url": "http://x/hooks/1"}
    view = label_modal(LABELS, metadata=meta, preview="héllo")
    assert view["callback_id"] == "label_emotion_modal" and len(view["title"]["text"]) <= 24
    options = view["blocks"][1]["element"]["options"]
    assert [o["value"] for o in options] == list(LABELS)
    assert unpack_metadata(view["private_metadata"]) == meta
    state = {"values": {"emotion": {"emotion_select": {"selected_option": {"value": "joy"}}}}}
    assert selected_emotion({"state": state}) == "joy"
    assert selected_emotion({"state": {"values": {}}}) is None


def test_long_message_text_is_shortened_to_fit_private_metadata() -> None:
    meta = {"channel": "C1", "ts": "1.0", "response_url": "http://x", "text": '"q" ' * 2000}
    packed = pack_metadata(meta)
    assert len(packed) <= 3000
    assert json.loads(packed)["text"].startswith('"q" "q"')
    assert len(json.loads(packed)["text"]) > 1900  # as much text as fits, not none
    assert unpack_metadata("not json") == {}


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("", ParsedCommand("help")),
        ("HELP", ParsedCommand("help")),
        ('check I\'m "so" tired', ParsedCommand("check", ('I\'m "so" tired',))),
        ("check hi <@U1|ana>", ParsedCommand("check", ("hi @ana",))),
        ("me", ParsedCommand("me")),
        ("me 14", ParsedCommand("me", ("14",), {"days": "14"})),
        ("channel 7d", ParsedCommand("channel", ("7",), {"days": "7"})),
        ("opt-out", ParsedCommand("optout")),
        ("forget", ParsedCommand("forget")),
        ("forget confirm", ParsedCommand("forget", ("confirm",), {"confirm": "yes"})),
        (
            "label https://acme.slack.com/archives/C1/p1712345678000100 Joy",
            ParsedCommand("label", ("C1:1712345678.000100", "joy"), {"emotion": "joy"}),
        ),
        (
            "settings mod-channel <#C0MODS|mods>",
            ParsedCommand("settings", ("mod-channel", "C0MODS")),
        ),
        ("settings moderator add <@U9|zed>", ParsedCommand("settings", ("moderator", "add", "U9"))),
        (
            "why C1:1.000001",
            ParsedCommand("why", ("C1:1.000001",), target_message_id="C1:1.000001"),
        ),
        ("why so serious", ParsedCommand("why", ("so serious",))),
    ],
)
def test_parse(text: str, parsed: ParsedCommand) -> None:
    assert parse(text, labels=LABELS) == parsed


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("dance", "I don't know `/emotion dance`"),
        ("check", "needs a text"),
        ("me 0", "DAYS must be a whole number"),
        ("me 9999", "DAYS must be a whole number"),
        ("me 3 4", "no more than 1"),
        ("optout now", "no more than 0"),
        ("forget everything", "no more than 1"),
        ("label", "Usage: `/emotion label MESSAGE-LINK EMOTION`"),
        ("label yesterday joy", "is not a message link"),
        ("label C1:1.000001 hangry", "`hangry` is not one of the bot's emotions"),
        ("why", "needs a text"),
    ],
)
def test_mistakes_get_usage(text: str, says: str) -> None:
    problem = parse(text, labels=LABELS)
    assert isinstance(problem, UsageProblem)
    assert says in problem.text
