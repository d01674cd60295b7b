"""HTTP mode specifics: request signatures, bolt's form-parsing edge case, rate limits."""

from __future__ import annotations

import asyncio
import time

from tests.slack import payloads as p
from tests.slack.conftest import Harness


async def test_wrong_signature_is_rejected_and_nothing_happens(http_bot: Harness) -> None:
    ts = p.ts_now()
    body = p.json_body(p.event_callback(p.message_event("I feel so sad", ts=ts)))
    headers = {"Content-Type": "application/json", **p.sign(body, secret="not-the-secret")}
    ack = await http_bot.post(body, headers)
    assert ack.status == 401

    tampered = body.replace(b"so sad", b"so mad")
    ack = await http_bot.post(tampered, {"Content-Type": "application/json", **p.sign(body)})
    assert ack.status == 401
    await http_bot.fake.settle()
    assert http_bot.deps.service.classifier.calls == 0  # type: ignore[attr-defined]
    assert not http_bot.fake.calls_to("chat.postEphemeral")


async def test_stale_timestamp_is_rejected_even_with_a_valid_signature(http_bot: Harness) -> None:
    fields = p.slash_command("check hi", response_url=http_bot.fake.hook_url())
    body = p.form_body(fields)
    stale = int(time.time()) - 6 * 60
    headers = {"Content-Type": "application/x-www-form-urlencoded", **p.sign(body, timestamp=stale)}
    ack = await http_bot.post(body, headers)
    assert ack.status == 401
    await http_bot.fake.settle()
    assert not http_bot.fake.calls_to("hooks")


async def test_form_body_containing_payload_is_still_a_slash_command(http_bot: Harness) -> None:
    # bolt alone parses any form body with the substring "payload" as an empty interactive body.
    ack = await http_bot.command("check my payload today is heavy and I am sad")
    assert ack.status == 200
    (hook,) = await http_bot.fake.wait_for("hooks")
    assert "sadness" in str(hook.params["blocks"])


async def test_rate_limited_web_api_call_is_retried_after_retry_after(http_bot: Harness) -> None:
    http_bot.fake.rate_limit("chat.postEphemeral", retry_after=0)
    await http_bot.event(p.event_callback(p.message_event("I am miserable and lonely")))
    calls = await http_bot.fake.wait_for("chat.postEphemeral", 2, timeout=5)
    assert len(calls) == 2
    assert calls[0].params == calls[1].params  # the same prompt, delivered on the retry
    await http_bot.fake.settle()
    assert len(http_bot.fake.calls_to("chat.postEphemeral")) == 2


async def test_ephemeral_falls_back_to_a_dm_where_the_bot_is_not_in_the_channel(
    http_bot: Harness,
) -> None:
    http_bot.fake.fail("chat.postEphemeral", "not_in_channel")
    await http_bot.event(p.event_callback(p.message_event("so sad and hopeless")))
    (dm,) = await http_bot.fake.wait_for("chat.postMessage")
    assert dm.params["channel"] == "D0ANA" and "optout" in dm.params["text"]
    assert http_bot.fake.calls_to("conversations.open")[0].params["users"] == p.MEMBER


async def test_url_verification_challenge_is_answered(http_bot: Harness) -> None:
    body = p.json_body({"token": "x", "challenge": "abc123", "type": "url_verification"})
    ack = await http_bot.post(body, {"Content-Type": "application/json", **p.sign(body)})
    assert ack.status == 200 and ack.body == {"challenge": "abc123"}


async def test_slash_command_ack_does_not_wait_for_the_core(http_bot: Harness) -> None:
    classifier = http_bot.deps.service.classifier  # type: ignore[attr-defined]
    original = classifier.predict

    def slow(texts):  # a slow model must not delay the acknowledgement
        time.sleep(0.6)
        return original(texts)

    classifier.predict = slow
    started = time.monotonic()
    ack = await asyncio.wait_for(http_bot.command("check slow model here"), timeout=0.5)
    assert ack.status == 200 and time.monotonic() - started < 0.3
    await http_bot.fake.wait_for("hooks")  # the answer still comes, after the ack
    classifier.predict = original
