"""Issue 16, item 7: a label's text is found and forgotten through the author of the labelled
message (``labels.author_id``), even once that message row is gone (deleted or purged by
retention). Every test runs on a real SQLite file and on PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func, select, text

from bot.storage import SqlStore, make_engine, upgrade
from bot.storage.tables import Label
from tests.storage.storage_helpers import ANN, BOB, T0, label, msg, pred

SECRET = "Ann wrote this, nobody else may keep it"


def _labels_table_bytes(store: SqlStore) -> str:
    with store.engine.connect() as conn:
        rows = conn.execute(select(Label)).all()
    return json.dumps([[str(v) for v in r] for r in rows])


def test_the_author_is_stored_with_the_label(store: SqlStore) -> None:
    store.save_classification(msg("a1", user=ANN), pred())
    store.add_label(replace(label(by=BOB, message_id="a1"), author_id=ANN.id))
    assert [x.author_id for x in store.labels()] == [ANN.id]


def test_forget_deletes_a_label_whose_message_was_deleted_first(store: SqlStore) -> None:
    store.save_classification(msg("a1", user=ANN), pred())
    store.save_classification(msg("b1", user=BOB), pred())
    store.add_label(replace(label(by=BOB, message_id="a1", text=SECRET), author_id=ANN.id))
    kept = store.add_label(replace(label(by=BOB, message_id="b1"), author_id=BOB.id))
    store.delete_message("discord", "a1")

    export = store.export_user("discord", ANN.id)
    assert [x["text"] for x in export["labels_on_my_messages"]] == [SECRET]
    assert BOB.id not in json.dumps(export)

    assert store.forget_user("discord", ANN.id) == 2  # the label and her member row
    assert [x.id for x in store.labels()] == [kept]
    assert SECRET not in _labels_table_bytes(store)
    assert ANN.id not in _labels_table_bytes(store)


def test_forget_deletes_a_label_whose_message_retention_purged(store: SqlStore) -> None:
    store.save_classification(msg("a1", user=ANN, minutes=0), pred())
    # labelled two hours after it was sent: retention takes the message but not yet the label
    store.add_label(
        replace(label(by=BOB, message_id="a1", text=SECRET, minutes=120), author_id=ANN.id)
    )
    assert store.delete_older_than(T0 + timedelta(minutes=60)) == 1
    assert store.get_message("discord", "a1") is None and len(store.labels()) == 1

    assert store.forget_user("discord", ANN.id) == 2  # the label and her member row
    assert store.labels() == []
    assert SECRET not in _labels_table_bytes(store)


def test_labels_a_member_gave_on_other_peoples_messages_are_forgotten_too(
    store: SqlStore,
) -> None:
    store.save_classification(msg("b1", user=BOB), pred())
    store.add_label(replace(label(by=ANN, message_id="b1"), author_id=BOB.id))
    assert store.forget_user("discord", ANN.id) == 1
    assert ANN.id not in _labels_table_bytes(store)


def test_0004_fills_the_author_from_messages_that_still_exist(db_url: str) -> None:
    upgrade(db_url, "0003")
    engine = make_engine(db_url)
    try:
        store = SqlStore(engine)
        store.save_classification(msg("a1", user=ANN), pred())
        with engine.begin() as conn:
            for m in ("a1", "gone"):
                conn.execute(
                    text(
                        "INSERT INTO labels (platform, community_id, message_id, text, emotion,"
                        " labelled_by, labelled_at) VALUES ('discord', 'g1', :m, 't', 'joy',"
                        " :by, CURRENT_TIMESTAMP)"
                    ),
                    {"m": m, "by": BOB.id},
                )
        upgrade(db_url)
        with engine.connect() as conn:
            got = conn.execute(
                text("SELECT message_id, author_id FROM labels ORDER BY message_id")
            ).all()
            assert conn.scalar(select(func.count()).select_from(Label)) == 2
    finally:
        engine.dispose()
    assert [tuple(r) for r in got] == [("a1", ANN.id), ("gone", None)]
