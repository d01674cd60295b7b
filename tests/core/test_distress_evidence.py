"""The medium-risk evidence per member ("two medium messages within 24 h flag") is kept in the
database: a restart between the two messages, or the second one reaching another process on the
same database, still flags; the same message twice (an edit) is not two; after 24 h the first
no longer counts. The shipped model, the real service, a real SQLite file."""

from __future__ import annotations

import pytest

from bot.core.events import DistressFlag
from bot.core.options import CoreOptions
from bot.core.records import CommunitySettings
from bot.core.service import EmotionService
from tests.core.conftest import COMMUNITY, Harness, member

pytestmark = pytest.mark.slow

# Each is medium with the shipped model: evidence alone, a flag as a member's second within 24 h.
FIRST = "my plant died and I feel empty"
SECOND = "this week has been so heavy, I don't know how much longer I can keep going"


def service(store, clock, shipped) -> EmotionService:
    return EmotionService(
        store=store,
        classifier=shipped,
        clock=clock,
        options=CoreOptions(store_retry_delay_s=0.01, settings_cache_s=0.0),
    )


@pytest.fixture
async def two(store, clock, shipped):
    """Two services on one database: two processes, or one before and after a restart."""
    store.save_community_settings(COMMUNITY, CommunitySettings(mod_channel_id="mods"))
    first, second = service(store, clock, shipped), service(store, clock, shipped)
    yield Harness(first, clock), Harness(second, clock)
    await first.aclose()
    await second.aclose()


def flagged(actions) -> bool:
    return any(isinstance(a, DistressFlag) for a in actions)


async def test_the_second_medium_message_flags_across_a_restart_or_process(two) -> None:
    before, after = two
    assert not flagged(await before.say(member("a"), FIRST))
    await before.service.aclose()  # the first process is gone, and its memory with it
    assert flagged(await after.say(member("a"), SECOND, id="x2"))


async def test_an_edit_is_not_a_second_message(two) -> None:
    one, _ = two
    assert not flagged(await one.say(member("a"), FIRST, id="e1"))
    assert not flagged(await one.say(member("a"), SECOND, id="e1", is_edit=True))


async def test_evidence_older_than_a_day_no_longer_counts(two, clock) -> None:
    one, other = two
    assert not flagged(await one.say(member("a"), FIRST))
    clock.advance(hours=25)
    assert not flagged(await other.say(member("a"), SECOND))
