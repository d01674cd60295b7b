"""The moderators' flag card cannot be used to ping or mislead them (issue 16, item 10): what a
member wrote reaches the card's fallback ``text`` and its blocks as the characters typed."""

from __future__ import annotations

from bot.adapters.slack.render import card_blocks, card_text
from bot.core.events import Card
from tests.slack import payloads as p
from tests.slack.conftest import Harness

# What Slack sends when a member types these characters: it escapes & < > in the event text.
HOSTILE = (
    "honestly I want to kill myself &lt;!channel&gt; &lt;!here&gt; &lt;@U0BEN&gt; "
    "&lt;http://evil.example|the crisis line&gt; [help](https://evil.example) fish &amp; chips"
)
MARKUP = ("<!channel>", "<!here>", "<@U0BEN>", "<http://evil", "<https://evil", "& chips")


async def test_flag_card_fallback_text_and_blocks_are_escaped(http_bot: Harness) -> None:
    await http_bot.command("settings mod-channel here", user=p.ADMIN, channel=p.MOD_CHANNEL)
    await http_bot.fake.wait_for("hooks")
    await http_bot.event(p.event_callback(p.message_event(HOSTILE)))
    (posted,) = await http_bot.fake.wait_for("chat.postMessage")
    assert posted.params["channel"] == p.MOD_CHANNEL
    text = posted.params["text"]
    blocks = str(posted.json_param("blocks"))
    assert "&lt;!channel&gt;" in text and "&lt;@U0BEN&gt;" in text and "fish &amp; chips" in text
    for markup in MARKUP:
        assert markup not in text, markup
        assert markup not in blocks, markup


def test_card_text_escapes_like_the_blocks() -> None:
    card = Card(
        title="Possible distress <!everyone>",
        body="a <b> & c",
        fields=(("Member", "<@U1|boss>"), ("Message", "see <http://x|y> [z](https://x)")),
        link="https://acme.slack.com/archives/C1/p1?a=1&b=2",
    )
    text = card_text(card)
    assert text == (
        "Possible distress &lt;!everyone&gt;\na &lt;b&gt; &amp; c\nMember: &lt;@U1|boss&gt;\n"
        "Message: see &lt;http://x|y&gt; [z](https://x)\n"
        "https://acme.slack.com/archives/C1/p1?a=1&amp;b=2"
    )
    assert "<https://x|z>" not in str(card_blocks(card))
    long = card_text(Card(title="t", body="&" * 5000))
    assert len(long) <= 3000 and long.endswith("&amp;…")
