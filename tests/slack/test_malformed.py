"""HTTP mode refuses what is not a verified, well-formed Slack request before parsing it, and
says so in one line without the body (issue 16, items 9 and 11). Real signed requests over HTTP
to the real bolt app."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.adapters.slack.app import build_app, build_client
from tests.slack import payloads as p
from tests.slack.conftest import WORKSPACE, Harness
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MALFORMED = {
    "invalid JSON": (b'{"type": "event_callback", "event": {', JSON),
    "a JSON array": (b'[{"type": "event_callback"}]', JSON),
    "a JSON string": (b'"event_callback"', JSON),
    "deeply nested JSON": (b"[" * 100_000 + b"]" * 100_000, JSON),
    "garbage payload=": (b"payload=%7Bnot-json", FORM),
    "a payload= array": (urlencode({"payload": "[1, 2]"}).encode(), FORM),
    "invalid UTF-8": (b"token=x&text=\xff\xfe\xfa&command=%2Femotion", FORM),
    "invalid UTF-8 JSON": (b'{"type": "\xc3\x28"}', JSON),
}


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("case", MALFORMED)
async def test_unsigned_malformed_request_is_401_without_a_traceback(
    http_bot: Harness, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    body, content_type = MALFORMED[case]
    with caplog.at_level(logging.DEBUG):
        ack = await http_bot.post(body, {"Content-Type": content_type})
    assert ack.status == 401
    _no_traceback(caplog)


@pytest.mark.parametrize("case", MALFORMED)
async def test_signed_malformed_request_is_400_without_a_traceback(
    http_bot: Harness, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    body, content_type = MALFORMED[case]
    with caplog.at_level(logging.DEBUG):
        ack = await http_bot.post(body, {"Content-Type": content_type, **p.sign(body)})
    assert ack.status == 400
    assert ack.body == {"error": "malformed request"}
    _no_traceback(caplog)
    await http_bot.fake.settle()
    assert http_bot.deps.service.classifier.calls == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("timestamp", ["abc", "", "1e9", "٣٣٣", "9" * 5000, "-1"])
async def test_a_timestamp_that_is_not_a_number_is_401(
    http_bot: Harness, timestamp: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = p.json_body(p.event_callback(p.message_event("I feel so sad")))
    headers = {"Content-Type": JSON, **p.sign(body)}
    headers["X-Slack-Request-Timestamp"] = timestamp
    with caplog.at_level(logging.DEBUG):
        ack = await http_bot.post(body, headers)
    assert ack.status == 401
    _no_traceback(caplog)


async def test_a_signature_that_is_not_ascii_is_401(
    http_bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    body = p.json_body(p.event_callback(p.message_event("I feel so sad")))
    headers = {"Content-Type": JSON, **p.sign(body)}
    headers["X-Slack-Signature"] = "v0=\u00e9" + headers["X-Slack-Signature"][4:]
    with caplog.at_level(logging.DEBUG):
        ack = await http_bot.post(body, headers)
    assert ack.status == 401
    _no_traceback(caplog)


async def test_failed_verification_is_one_line_without_the_body(
    http_bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    secret_text = "I-wrote-this-only-for-my-channel"
    hook = http_bot.fake.hook_url("T0TEAM/B0SECRET/xyzzy")
    command = p.form_body(p.slash_command(f"check {secret_text}", response_url=hook))
    padding = "x" * 1_000_000
    event = p.json_body(
        p.event_callback(p.message_event(secret_text, response_url=hook, padding=padding))
    )
    stale = int(time.time()) - 6 * 60  # a server clock five minutes off
    attempts = [
        (event, {"Content-Type": JSON}, "unsigned"),  # no signature at all
        (event, {"Content-Type": JSON, **p.sign(event, secret="wrong")}, "bad signature"),
        (command, {"Content-Type": FORM, **p.sign(command, timestamp=stale)}, "stale timestamp"),
    ]
    with caplog.at_level(logging.DEBUG):
        for body, headers, _ in attempts * 4:
            ack = await http_bot.post(body, headers)
            assert ack.status == 401 and ack.body == {"error": "invalid request"}
    assert secret_text not in caplog.text and "xyzzy" not in caplog.text
    assert "B0SECRET" not in caplog.text and padding[:100] not in caplog.text
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == len(attempts) * 4 and len(caplog.text) < 4000
    for record, (body, _, reason) in zip(refused, attempts * 4, strict=True):
        line = record.getMessage()
        assert reason in line and f"{len(body)} bytes" in line and "127.0.0.1" in line
        assert "\n" not in line and record.levelno == logging.INFO
    await http_bot.fake.settle()
    assert not http_bot.fake.calls_to("hooks")


async def test_a_well_formed_signed_request_still_works(http_bot: Harness) -> None:
    body = json.dumps({"token": "x", "challenge": "c1", "type": "url_verification"}).encode()
    ack = await http_bot.post(body, {"Content-Type": JSON, **p.sign(body)})
    assert ack.status == 200 and ack.body == {"challenge": "c1"}


async def test_requests_dispatched_to_the_app_itself_are_verified_too(
    fake: FakeSlack, service: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = build_app(
        service=service,
        client=build_client(BOT_TOKEN, base_url=fake.base_url),
        workspace=WORKSPACE,
        signing_secret=p.SIGNING_SECRET,
    )
    body = p.json_body(p.event_callback(p.message_event("only-for-my-channel")))
    headers = {"content-type": JSON, **p.sign(body, secret="wrong")}
    with caplog.at_level(logging.DEBUG):
        resp = await app.async_dispatch(AsyncBoltRequest(body=body.decode(), headers=headers))
        assert resp.status == 401
        signed = {"content-type": JSON, **p.sign(body)}
        resp = await app.async_dispatch(AsyncBoltRequest(body=body.decode(), headers=signed))
        assert resp.status == 200
    assert "only-for-my-channel" not in caplog.text
    (refused,) = [r for r in caplog.records if "refused" in r.getMessage()]
    assert "bad signature" in refused.getMessage()
