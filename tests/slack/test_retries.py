"""Replies survive one server error, a dropped connection, a timeout and rate limits (issue 16,
item 2): the real slack_sdk clients against the fake Slack, which counts what it received."""

from __future__ import annotations

import pytest

from bot.adapters.slack.app import build_client
from bot.adapters.slack.outbox import Origin, Outbox
from bot.adapters.slack.retry import DEFAULT_RETRY_AFTER_S, MAX_RETRY_AFTER_S, retry_after_seconds
from bot.adapters.slack.translate import channel_ref, user_ref
from bot.core.events import Reply
from tests.slack import payloads as p
from tests.slack.conftest import WORKSPACE, Harness
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack

GENERAL = channel_ref(WORKSPACE, p.CHANNEL)
ANA = user_ref(p.MEMBER, name="ana")


async def test_ephemeral_prompt_survives_one_server_error(http_bot: Harness) -> None:
    fake = http_bot.fake
    fake.server_error("chat.postEphemeral")
    await http_bot.event(p.event_callback(p.message_event("I am miserable and lonely")))
    await fake.wait_for("chat.postEphemeral", 2, timeout=10)
    await fake.settle()
    assert [c.status for c in fake.calls_to("chat.postEphemeral")] == [500, 200]
    first, second = fake.calls_to("chat.postEphemeral")
    assert first.params == second.params  # the same prompt, delivered once


@pytest.mark.parametrize("fault", ["server_error", "drop"])
async def test_command_answer_on_the_response_url_survives_one_fault(
    bot: Harness, fault: str
) -> None:
    getattr(bot.fake, fault)("hooks")
    ack = await bot.command("check today is heavy and I am sad")
    assert ack.status == 200
    await bot.fake.wait_for("hooks", 2, timeout=10)
    await bot.fake.settle()
    (answer,) = bot.fake.answered("hooks")
    assert "sadness" in str(answer.params["blocks"])
    assert len(bot.fake.calls_to("hooks")) == 2


async def test_private_reply_on_a_response_url_survives_a_503(http_bot: Harness) -> None:
    http_bot.fake.server_error("hooks", status=503)
    outbox = http_bot.deps.outbox
    respond = outbox.responder(http_bot.fake.hook_url("button"))
    await outbox.send(
        [Reply(channel=GENERAL, text="done", private_to=ANA)],
        Origin(channel_id=p.CHANNEL, respond=respond),
    )
    assert [c.status for c in http_bot.fake.calls_to("hooks")] == [503, 200]


async def test_dm_survives_a_timeout(fake: FakeSlack) -> None:
    outbox = Outbox(build_client(BOT_TOKEN, base_url=fake.base_url, timeout=1))
    fake.fail("chat.postEphemeral", "not_in_channel")  # the bot is not in the channel: a DM
    fake.stall("chat.postMessage", 1.6)
    await outbox.send([Reply(channel=GENERAL, text="your answer", private_to=ANA)])
    await fake.settle()
    posts = fake.calls_to("chat.postMessage")
    assert len(posts) == 2 and {c.params["channel"] for c in posts} == {"D0ANA"}
    assert posts[1].response["ok"] is True  # the retry was answered: the DM arrived


async def test_a_failed_answer_is_logged_without_the_response_url(
    fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = Outbox(build_client(BOT_TOKEN, base_url=fake.base_url))
    fake.server_error("hooks", times=3)
    url = fake.hook_url("secret-hook-T0TEAM-1234")
    origin = Origin(channel_id=p.CHANNEL, respond=outbox.responder(url))
    await outbox.send([Reply(channel=GENERAL, text="x", private_to=ANA)], origin)
    assert len(fake.calls_to("hooks")) == 3  # the first try and two retries
    assert "could not carry out Reply" in caplog.text and "HTTP 500" in caplog.text
    assert "secret-hook" not in caplog.text


@pytest.mark.parametrize("retry_after", ["soon", "1.5e999"])
async def test_rate_limit_with_an_unreadable_retry_after_is_still_retried(
    http_bot: Harness, retry_after: str
) -> None:
    http_bot.fake.rate_limit("chat.postEphemeral", retry_after=retry_after)
    await http_bot.event(p.event_callback(p.message_event("I am miserable and lonely")))
    calls = await http_bot.fake.wait_for("chat.postEphemeral", 2, timeout=10)
    assert [c.status for c in calls] == [429, 200]


def test_retry_after_reads_numbers_and_dates_and_defaults_the_rest() -> None:
    assert retry_after_seconds({"Retry-After": ["30"]}) == 30
    assert retry_after_seconds({"retry-after": "1.5"}) == 1.5
    assert retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0
    date = "Wed, 21 Oct 2015 07:28:10 GMT"
    assert retry_after_seconds({"Retry-After": date}, now=1445412480.0) == 10
    assert retry_after_seconds({"Retry-After": "86400"}) == MAX_RETRY_AFTER_S
    for bad in ("soon", "", "nan", "inf", "-1", "Wed, 99 Foo"):
        assert retry_after_seconds({"Retry-After": bad}) == DEFAULT_RETRY_AFTER_S, bad
    assert retry_after_seconds({}) == DEFAULT_RETRY_AFTER_S
