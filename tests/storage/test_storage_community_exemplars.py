"""Migration 0007 and its rows, on SQLite and PostgreSQL: community exemplars (one per message,
found per community, their author's forget deletes them, export shows them) and the medium-risk
evidence per member (the same message never counts twice, old evidence goes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import inspect

from bot.core.distress.community import CommunityExemplar
from bot.storage import SqlStore, current, downgrade, make_engine, upgrade

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_0007_up_down_and_up_again(db_url: str) -> None:
    upgrade(db_url, "0006")
    assert not {"community_exemplars", "distress_evidence"} & _tables(db_url)
    upgrade(db_url, "0007")
    assert {"community_exemplars", "distress_evidence"} <= _tables(db_url)
    downgrade(db_url, "0006")
    assert current(db_url) == "0006"
    assert not {"community_exemplars", "distress_evidence"} & _tables(db_url)
    upgrade(db_url, "0007")
    assert {"community_exemplars", "distress_evidence"} <= _tables(db_url)


def example(message_id: str, *, community: str = "g1", author: str = "a", kind: str = "safe"):
    vector = np.arange(4, dtype=np.float32) / 10
    return CommunityExemplar(
        platform="test",
        community_id=community,
        kind=kind,
        category="reviewed false alarm" if kind == "safe" else "burden",
        text=f"a generic message {message_id}",
        author_id=author,
        message_id=message_id,
        added_by="mod",
        added_at=T0,
        model_version="m1",
        embedding=vector,
        flag_id=7,
    )


def test_exemplars_one_per_message_per_community(store: SqlStore) -> None:
    ex = store.exemplars
    assert ex.stamp("test", "g1") == (0, 0)
    first = ex.add(example("m1"))
    assert first is not None and first.id > 0
    assert ex.add(example("m1", kind="risk")) is None  # that message is an example already
    ex.add(example("m2", community="g2", kind="risk"))
    (row,) = ex.for_community("test", "g1")
    assert (row.kind, row.text, row.author_id, row.added_by, row.added_at) == (
        "safe",
        "a generic message m1",
        "a",
        "mod",
        T0,
    )
    np.testing.assert_array_equal(row.embedding, example("m1").embedding)
    assert ex.stamp("test", "g1") == (1, first.id)
    assert [e.message_id for e in ex.every()] == ["m1", "m2"]


def test_forget_deletes_the_authors_exemplars_and_export_shows_them(store: SqlStore) -> None:
    store.exemplars.add(example("m1", author="a"))
    store.exemplars.add(example("m2", author="b"))
    data = store.export_user("test", "a")
    (mine,) = data["community_exemplars_from_my_messages"]
    assert (mine["message_id"], mine["text"], mine["kind"]) == (
        "m1",
        "a generic message m1",
        "safe",
    )
    assert len(store.export_user("test", "mod")["community_exemplars_added"]) == 2

    assert store.forget_user("test", "a") >= 1
    assert [e.message_id for e in store.exemplars.every()] == ["m2"]
    store.forget_user("test", "mod")  # the moderator's id goes, the example stays
    (left,) = store.exemplars.every()
    assert left.added_by is None


def test_evidence_counts_other_messages_within_the_window(store: SqlStore) -> None:
    ev = store.evidence

    def note(message_id: str, at: datetime, user: str = "a") -> int:
        return ev.note("test", user, community_id="g1", message_id=message_id, at=at, window=DAY)

    assert note("m1", T0) == 0
    assert note("m1", T0 + timedelta(minutes=5)) == 0  # the same message again (edit, retry)
    assert note("m2", T0 + timedelta(hours=2)) == 1
    assert note("x1", T0 + timedelta(hours=2), user="b") == 0  # another member's
    assert note("m3", T0 + timedelta(hours=25)) == 1  # m1 is older than the window, m2 is not
    data = store.export_user("test", "a")
    assert [e["message_id"] for e in data["distress_evidence"]] == ["m2", "m3"]
    store.forget_user("test", "a")
    assert note("m4", T0 + timedelta(hours=26)) == 0


def test_evidence_survives_a_new_store_on_the_same_database(db_url: str) -> None:
    upgrade(db_url)
    for i in range(2):  # a restart: a new engine and store on the same database
        engine = make_engine(db_url)
        store = SqlStore(engine)
        seen = store.evidence.note(
            "test", "a", community_id="g1", message_id=f"m{i}", at=T0 + i * DAY / 4, window=DAY
        )
        engine.dispose()
    assert seen == 1
