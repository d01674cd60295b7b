"""Two real services (two engines, as two bot processes would have) over one real database, a
SQLite file and PostgreSQL: what a message triggers is decided in the database (issue 18, item
2). The same message reaching both gets one row and one prompt; the cooldowns and the opt-out
hold across them at once; one member's flags raced from both leave one open flag."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.core.events import Action, ChatMessage, CommandRequest, DistressFlag, EmpathyPrompt
from bot.core.options import CoreOptions
from bot.core.service import EmotionService
from bot.storage import SqlStore, make_engine, upgrade
from tests.core.conftest import COMMUNITY, EPOCH, GENERAL, PLATFORM, member
from tests.fakes import FakeClassifier, ManualClock
from tests.multiprocess.pgdb import new_pg_database

ALICE, BOB = member("alice"), member("bob")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        db = f"sqlite:///{tmp_path / 'bot.db'}"
        upgrade(db)
        yield db
        return
    with new_pg_database("eb_core") as db:
        upgrade(db)
        yield db


@pytest.fixture
async def pair(url: str, clock: ManualClock) -> AsyncIterator[tuple[EmotionService, ...]]:
    """Two services, each with its engine, store, classifier and caches (30 s, as deployed)."""
    services, engines = [], []
    for _ in range(2):
        engine = make_engine(url)
        engines.append(engine)
        services.append(
            EmotionService(
                store=SqlStore(engine),
                classifier=FakeClassifier(),
                clock=clock,
                options=CoreOptions(store_retry_delay_s=0.01, settings_cache_s=30.0),
            )
        )
    yield tuple(services)
    for service in services:
        await service.aclose()
    for engine in engines:
        engine.dispose()


def message(mid: str, text: str, clock: ManualClock, who=ALICE) -> ChatMessage:
    return ChatMessage(id=mid, channel=GENERAL, author=who, text=text, sent_at=clock())


def prompts(*results: list[Action]) -> list[EmpathyPrompt]:
    return [a for actions in results for a in actions if isinstance(a, EmpathyPrompt)]


def stored(service: EmotionService, who=None) -> list[str]:
    rows = service.store.messages(
        platform=PLATFORM, community_id=COMMUNITY.id, since=EPOCH, user_id=who
    )
    return [r.message_id for r in rows]


def optout(who=ALICE, name: str = "optout") -> CommandRequest:
    return CommandRequest(name=name, args=(), user=who, channel=GENERAL)


async def test_the_same_message_reaching_both_gets_one_row_and_one_prompt(pair, clock) -> None:
    first, second = pair
    sad = message("m1", "I am so sad and lonely", clock)
    results = await asyncio.gather(first.on_message(sad), second.on_message(sad))
    assert len(prompts(*results)) == 1
    assert stored(first) == ["m1"]
    assert first.stats["duplicate"] + second.stats["duplicate"] == 1


async def test_the_member_cooldown_holds_across_processes(pair, clock) -> None:
    first, second = pair
    assert len(prompts(await first.on_message(message("m1", "I am so sad", clock)))) == 1
    clock.advance(seconds=1)
    assert prompts(await second.on_message(message("m2", "still crying", clock))) == []
    assert second.stats["empathy_cooldown_member"] == 1
    clock.advance(minutes=11)  # the channel cooldown is over, Alice's is not
    assert prompts(await second.on_message(message("m3", "so sad", clock))) == []
    assert len(prompts(await first.on_message(message("m4", "sad too", clock, BOB)))) == 1
    assert sorted(stored(first)) == ["m1", "m2", "m3", "m4"]


async def test_the_channel_cooldown_holds_across_processes(pair, clock) -> None:
    first, second = pair
    assert len(prompts(await first.on_message(message("m1", "I am so sad", clock)))) == 1
    clock.advance(seconds=1)
    assert prompts(await second.on_message(message("m2", "so sad", clock, BOB))) == []
    assert second.stats["empathy_cooldown_channel"] == 1


async def test_an_opt_out_on_one_process_keeps_the_next_message_on_the_other_out(
    pair, clock
) -> None:
    first, second = pair
    await second.on_message(message("m1", "what a great day", clock))  # "not opted out" cached
    await first.handle_command(optout())
    clock.advance(seconds=1.5)
    assert await second.on_message(message("m2", "I am so sad", clock)) == []
    assert stored(second) == ["m1"]
    assert second.texts.get(PLATFORM, "m2", clock()) is None  # not kept in memory either
    assert second.stats["skipped_opted_out"] == 1


async def test_an_opt_in_on_one_process_is_honoured_by_the_other_at_once(pair, clock) -> None:
    first, second = pair
    await first.handle_command(optout())
    assert await second.on_message(message("m1", "what a great day", clock)) == []
    await first.handle_command(optout(name="optin"))
    clock.advance(seconds=1)
    await second.on_message(message("m2", "what a great day", clock))
    assert stored(second) == ["m2"]


async def test_one_members_flags_raised_on_both_leave_one_open_flag(pair, clock) -> None:
    first, second = pair
    text = "better off without me. I can't go on"  # high risk (two signals agree)
    results = await asyncio.gather(
        first.on_message(message("m1", text, clock)),
        second.on_message(message("m2", text, clock)),
    )
    flags = [a for actions in results for a in actions if isinstance(a, DistressFlag)]
    assert len(flags) == 1
    assert len(first.store.open_flags_for(PLATFORM, ALICE.id, since=EPOCH)) == 1
    assert first.stats["distress_deduplicated"] + second.stats["distress_deduplicated"] == 1


async def test_a_flag_left_open_a_day_is_updated_not_doubled(pair, clock) -> None:
    first, second = pair
    text = "better off without me. I can't go on"
    [raised] = await first.on_message(message("m1", text, clock))
    clock.advance(hours=25)
    [update] = await second.on_message(message("m2", text, clock))
    assert isinstance(raised, DistressFlag) and isinstance(update, DistressFlag)
    assert update.flag_id == raised.flag_id
    [still] = first.store.open_flags_for(PLATFORM, ALICE.id, since=EPOCH)
    assert still.message_id == "m2"
    assert await first.on_message(message("m3", text, clock)) == []  # nothing new since m2
