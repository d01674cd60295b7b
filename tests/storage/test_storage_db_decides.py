"""The database decides what a message triggers (issue 18, item 2): two stores on two engines
over one real database (a SQLite file, and PostgreSQL) stand for two bot processes. Only one of
them wins a message, an empathy cooldown, a member's open flag or a delivery; an opt-out
committed through one is honoured by the other's very next save."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from bot.core.events import ChatMessage
from bot.storage import SqlStore, make_engine, upgrade
from bot.storage.tables import DistressFlagRow, Message
from tests.storage.storage_helpers import ANN, BOB, GENERAL, RANDOM, T0, flag, msg, pred

HOUR = timedelta(hours=1)


@pytest.fixture
def url(db_url: str) -> str:
    upgrade(db_url)
    return db_url


@pytest.fixture
def engines(url: str) -> Iterator[Callable[[], Engine]]:
    """Engines of their own on the one database, disposed at the end."""
    made: list[Engine] = []

    def new() -> Engine:
        made.append(make_engine(url))
        return made[-1]

    yield new
    for engine in made:
        engine.dispose()


@pytest.fixture
def two(engines: Callable[[], Engine]) -> tuple[SqlStore, SqlStore]:
    return SqlStore(engines()), SqlStore(engines())


def rows(store: SqlStore, table: Any, *where: Any) -> int:
    with store.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def together(n: int, fn: Callable[[int], Any]) -> list[Any]:
    """Run ``fn(0..n-1)`` in ``n`` threads released at once."""
    barrier = threading.Barrier(n)

    def go(i: int) -> Any:
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(go, range(n)))


# --- the message: only one save wins --------------------------------------------------------------


def test_the_same_message_saved_by_two_stores_is_won_by_one(two) -> None:
    first, second = two
    assert first.save_classification(msg("m1"), pred("sadness", 0.9)) == "stored"
    assert second.save_classification(msg("m1"), pred("sadness", 0.9)) == "duplicate"
    assert rows(first, Message) == 1


def test_concurrent_saves_of_one_message_have_one_winner(engines) -> None:
    stores = [SqlStore(engines()) for _ in range(6)]
    outcomes = together(6, lambda i: stores[i].save_classification(msg("m1"), pred()))
    assert sorted(outcomes) == ["duplicate"] * 5 + ["stored"]
    assert rows(stores[0], Message) == 1


def test_an_edit_replaces_the_row_and_counts_as_stored(two) -> None:
    first, second = two
    first.save_classification(msg("m1"), pred("joy"))
    edit = ChatMessage(**{**msg("m1").__dict__, "is_edit": True})
    assert second.save_classification(edit, pred("anger", 0.9, version="v2")) == "stored"
    got = first.get_message("discord", "m1")
    assert got is not None and (got.label, got.model_version) == ("anger", "v2")


# --- the opt-out: read in the save ----------------------------------------------------------------


def test_an_opt_out_committed_by_one_store_keeps_the_next_save_of_the_other_out(two) -> None:
    first, second = two
    assert second.save_classification(msg("before"), pred()) == "stored"
    first.set_opted_out(ANN, True)
    assert second.save_classification(msg("after"), pred()) == "opted_out"
    edit = ChatMessage(**{**msg("before").__dict__, "is_edit": True})
    assert second.save_classification(edit, pred("anger")) == "opted_out"
    assert [
        m.message_id for m in second.messages(platform="discord", community_id="g1", since=T0)
    ] == ["before"]
    assert second.get_message("discord", "before").label == "joy"  # type: ignore[union-attr]
    first.set_opted_out(ANN, False)
    assert second.save_classification(msg("back"), pred()) == "stored"


@pytest.mark.postgres
def test_a_save_waits_for_an_opt_out_in_flight_and_then_honours_it(pg_url: str) -> None:
    """PostgreSQL, READ COMMITTED: a save racing an uncommitted opt-out waits for the member row
    (the save's member upsert and its share lock of that row), then sees the opt-out: nothing is
    stored once an opt-out has committed."""
    upgrade(pg_url)
    engine, optout_engine = make_engine(pg_url), make_engine(pg_url)
    store = SqlStore(engine)
    try:
        store.save_classification(msg("first"), pred())  # the member row exists
        with optout_engine.connect() as conn, ThreadPoolExecutor(1) as pool:
            tx = conn.begin()
            conn.execute(
                text("UPDATE members SET opted_out = true WHERE platform_id = :id"), {"id": ANN.id}
            )
            saving = pool.submit(store.save_classification, msg("racing"), pred())
            _wait_for_a_lock_wait(optout_engine, saving)
            tx.commit()
            assert saving.result(timeout=30) == "opted_out"
        assert store.get_message("discord", "racing") is None
    finally:
        engine.dispose()
        optout_engine.dispose()


def _wait_for_a_lock_wait(engine: Engine, saving: Any) -> None:
    """Until another session waits for a lock (the save, on the member row)."""
    query = text("SELECT count(*) FROM pg_locks WHERE NOT granted")
    for _ in range(600):
        assert not saving.done(), "the save did not wait for the opt-out in flight"
        with engine.connect() as conn:
            if conn.scalar(query):
                return
        time.sleep(0.05)
    raise AssertionError("no session ever waited for a lock")


# --- empathy cooldowns ----------------------------------------------------------------------------


def claim(store: SqlStore, *, user: str = "u-ann", channel: str = "c1", at=T0) -> str | None:
    return store.claim_empathy(
        platform="discord",
        community_id="g1",
        user_id=user,
        channel_id=channel,
        now=at,
        member_cooldown=6 * HOUR,
        channel_cooldown=timedelta(minutes=10),
    )


def test_cooldowns_hold_across_stores(two) -> None:
    first, second = two
    assert claim(first) is None
    assert claim(second, at=T0 + timedelta(seconds=1)) == "member"
    assert claim(second, user="u-bob", at=T0 + timedelta(seconds=1)) == "channel"
    # the channel held Bob back: his member cooldown was not taken either
    assert claim(second, user="u-bob", channel="c2", at=T0 + timedelta(seconds=2)) is None
    assert claim(first, user="u-cat", at=T0 + timedelta(minutes=10)) is None
    assert claim(second, at=T0 + 6 * HOUR - timedelta(seconds=1), channel="c3") == "member"
    assert claim(second, at=T0 + 6 * HOUR, channel="c3") is None


def test_concurrent_claims_of_one_cooldown_have_one_winner(engines) -> None:
    stores = [SqlStore(engines()) for _ in range(6)]
    results = together(6, lambda i: claim(stores[i], channel=f"c{i}"))
    assert results.count(None) == 1 and results.count("member") == 5


def test_forget_deletes_the_members_cooldown(two) -> None:
    first, _ = two
    first.save_classification(msg("m1"), pred())
    assert claim(first) is None
    first.forget_user("discord", "u-ann")
    assert claim(first, channel="c2", at=T0 + timedelta(minutes=1)) is None


# --- distress flags: one open per member ----------------------------------------------------------


def test_a_second_open_flag_for_a_member_is_refused(two) -> None:
    first, second = two
    opened = first.add_flag(flag(user=ANN, message_id="m1"))
    assert opened is not None
    assert second.add_flag(flag(user=ANN, message_id="m2", minutes=1)) is None
    assert second.add_flag(flag(user=BOB, message_id="m3")) is not None
    assert second.open_flag_for("discord", ANN.id) == opened
    second.set_flag_state(opened.id, "resolved", by="mod", at=T0)
    assert second.add_flag(flag(user=ANN, message_id="m4", minutes=2)) is not None
    assert rows(first, DistressFlagRow, DistressFlagRow.user_id == ANN.id) == 2


def test_concurrent_flags_for_one_member_leave_one_open(engines) -> None:
    stores = [SqlStore(engines()) for _ in range(6)]
    made = together(6, lambda i: stores[i].add_flag(flag(user=ANN, message_id=f"m{i}")))
    assert sum(f is not None for f in made) == 1
    open_ = DistressFlagRow.state == "open"
    assert rows(stores[0], DistressFlagRow, open_, DistressFlagRow.user_id == ANN.id) == 1


def test_an_open_flag_takes_higher_or_late_evidence_only(two) -> None:
    first, second = two
    opened = first.add_flag(flag(user=ANN, message_id="m1"))  # score 0.91
    assert opened is not None
    day = T0 - timedelta(hours=24)

    def update(store: SqlStore, score: float, mid: str, quiet_since=day, at=T0):
        return store.update_open_flag(
            opened.id, score=score, reason="new", message_id=mid, at=at, quiet_since=quiet_since
        )

    assert update(second, 0.91, "same") is None
    higher = update(second, 0.95, "higher")
    assert higher is not None and higher.score == 0.95 and higher.message_id == "higher"
    assert update(first, 0.95, "again") is None  # the other process holds the same evidence
    # a day without news: lower evidence updates it too, and the flag keeps its highest score
    later = T0 + timedelta(hours=25)
    late = update(first, 0.7, "late", quiet_since=later - timedelta(hours=24), at=later)
    assert late is not None and late.message_id == "late" and late.score == 0.95
    assert update(first, 0.7, "later", quiet_since=later - timedelta(hours=24), at=later) is None
    first.set_flag_state(opened.id, "resolved", by="mod", at=later)
    assert update(second, 0.99, "closed") is None


# --- deliveries (Slack event ids) -----------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self):
        return self.now


def test_a_delivery_is_first_once_across_stores_for_an_hour(engines) -> None:
    clock = Clock()
    first, second = SqlStore(engines(), clock=clock), SqlStore(engines(), clock=clock)
    keys = ("event:Ev1", "message:C1:1.0001")
    assert first.first_delivery("slack", keys) is True
    assert second.first_delivery("slack", keys) is False
    assert second.first_delivery("slack", ("event:Ev2", "message:C1:1.0001")) is False
    assert second.first_delivery("discord", keys) is True  # another platform's ids
    clock.now = T0 + timedelta(minutes=59)
    assert first.first_delivery("slack", ("event:Ev1",)) is False
    clock.now = T0 + timedelta(minutes=61)
    assert second.first_delivery("slack", ("event:Ev1",)) is True


def test_concurrent_deliveries_of_one_event_have_one_first(engines) -> None:
    stores = [SqlStore(engines()) for _ in range(6)]
    firsts = together(6, lambda i: stores[i].first_delivery("slack", ("event:EvX",)))
    assert firsts.count(True) == 1


# --- the migration --------------------------------------------------------------------------------


def test_the_migration_leaves_the_newest_open_flag_of_a_member_open(db_url: str) -> None:
    upgrade(db_url, "0005")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            for i, minutes in enumerate((0, 30, 10)):
                conn.execute(
                    text(
                        "INSERT INTO distress_flags (platform, community_id, channel_id, user_id,"
                        " message_id, created_at, reason, score, state)"
                        " VALUES ('discord', 'g1', 'c1', :user, :mid, :at, 'r', 0.9, 'open')"
                    ),
                    {"user": ANN.id, "mid": f"m{i}", "at": T0 + timedelta(minutes=minutes)},
                )
            conn.execute(
                text(
                    "INSERT INTO distress_flags (platform, community_id, channel_id, user_id,"
                    " message_id, created_at, reason, score, state)"
                    " VALUES ('discord', 'g1', 'c1', :user, 'b1', :at, 'r', 0.9, 'open')"
                ),
                {"user": BOB.id, "at": T0},
            )
        upgrade(db_url)
        store = SqlStore(engine)
        flags = store.flags(platform="discord", community_id="g1", since=T0 - HOUR)
        states = {(f.user_id, f.message_id): (f.state, f.reviewed_by) for f in flags}
        assert states == {
            (ANN.id, "m0"): ("acknowledged", "emotion-bot"),
            (ANN.id, "m1"): ("open", None),
            (ANN.id, "m2"): ("acknowledged", "emotion-bot"),
            (BOB.id, "b1"): ("open", None),
        }
    finally:
        engine.dispose()


def test_a_message_in_another_channel_is_still_its_own_row(two) -> None:
    first, second = two
    assert first.save_classification(msg("m1", channel=GENERAL), pred()) == "stored"
    assert second.save_classification(msg("m2", channel=RANDOM), pred()) == "stored"
