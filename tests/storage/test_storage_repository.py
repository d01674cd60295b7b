"""SqlStore's real behaviour on SQLite and PostgreSQL (every test runs on both)."""

from __future__ import annotations

import json
from datetime import timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from bot.core.events import ChannelRef, CommunityRef, UserRef
from bot.core.records import ChannelSettings, CommunitySettings
from bot.storage import SqlStore
from bot.storage.tables import (
    Channel,
    Community,
    DistressFlagRow,
    JobRun,
    Label,
    Member,
    Message,
    ModelVersion,
)
from tests.storage.storage_helpers import (
    ANN,
    BOB,
    GENERAL,
    GUILD,
    OTHER_GUILD,
    RANDOM,
    T0,
    flag,
    label,
    msg,
    pred,
)


def count(store: SqlStore, model: type) -> int:
    with store.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


# --- classified messages -------------------------------------------------------------------------


def test_saved_message_round_trips_without_text(store: SqlStore) -> None:
    store.save_classification(msg("m1", text="secret words"), pred("joy", 0.75))
    got = store.get_message("discord", "m1")
    assert got is not None
    assert (got.community_id, got.channel_id, got.user_id) == ("g1", "c1", "u-ann")
    assert got.sent_at == T0 and got.sent_at.utcoffset() == timedelta(0)
    assert (got.label, got.labels, got.model_version) == ("joy", ("joy",), "v1")
    assert got.scores == pytest.approx({"joy": 0.75, "sadness": 0.25})
    with store.engine.connect() as conn:
        row = conn.execute(select(Message)).one()
    assert "secret" not in json.dumps([str(v) for v in row])


def test_times_in_other_zones_are_stored_as_utc(store: SqlStore) -> None:
    plus2 = timezone(timedelta(hours=2))
    local = T0.astimezone(plus2)
    message = msg("m1")
    store.save_classification(message.__class__(**{**message.__dict__, "sent_at": local}), pred())
    got = store.get_message("discord", "m1")
    assert got is not None and got.sent_at == T0 and got.sent_at.tzinfo is not None
    assert got.sent_at.utcoffset() == timedelta(0)
    assert len(store.messages(platform="discord", community_id="g1", since=T0)) == 1
    assert (
        store.messages(platform="discord", community_id="g1", since=T0 + timedelta(seconds=1)) == []
    )


def test_an_edit_replaces_the_row(store: SqlStore) -> None:
    store.save_classification(msg("m1"), pred("joy"))
    edit = msg("m1").__class__(**{**msg("m1").__dict__, "is_edit": True})
    store.save_classification(edit, pred("sadness", 0.9, version="v2"))
    got = store.get_message("discord", "m1")
    assert got is not None and (got.label, got.model_version) == ("sadness", "v2")
    assert count(store, Message) == 1


def test_same_message_id_on_another_platform_is_another_row(store: SqlStore) -> None:
    slack = CommunityRef("slack", "g1")
    store.save_classification(msg("m1"), pred("joy"))
    store.save_classification(
        msg("m1", user=UserRef("slack", "u-ann"), channel=ChannelRef(slack, "c1")), pred("anger")
    )
    assert count(store, Message) == 2
    assert store.get_message("slack", "m1").label == "anger"  # type: ignore[union-attr]
    assert store.get_message("discord", "m1").label == "joy"  # type: ignore[union-attr]


def test_first_sight_creates_community_channel_and_member_once(store: SqlStore) -> None:
    store.save_classification(msg("m1"), pred())
    store.save_classification(msg("m2", user=BOB, channel=RANDOM), pred())
    store.save_classification(msg("m3"), pred())
    assert (count(store, Community), count(store, Channel), count(store, Member)) == (1, 2, 2)
    with store.engine.connect() as conn:
        assert conn.scalar(select(Community.name)) == "Guild"
        names = set(conn.scalars(select(Member.name)))
    assert names == {"Ann", "Bob"}


def test_long_names_are_cut_not_fatal(store: SqlStore) -> None:
    long = "n" * 500
    guild = CommunityRef("discord", "g-long", long)
    user = UserRef("discord", "u-long", long)
    store.save_classification(msg("m1", user=user, channel=ChannelRef(guild, "c", long)), pred())
    assert store.get_message("discord", "m1") is not None
    with store.engine.connect() as conn:
        assert conn.scalar(select(func.length(Member.name))) == 200


def test_messages_filters_and_order(store: SqlStore) -> None:
    store.save_classification(msg("late", minutes=30), pred())
    store.save_classification(msg("early", minutes=10), pred())
    store.save_classification(msg("bob", user=BOB, minutes=20), pred())
    store.save_classification(msg("random", channel=RANDOM, minutes=15), pred())
    store.save_classification(msg("before", minutes=-5), pred())
    other = ChannelRef(OTHER_GUILD, "c9")
    store.save_classification(msg("elsewhere", channel=other, minutes=12), pred())

    def ids(**kw: object) -> list[str]:
        kw.setdefault("since", T0)
        found = store.messages(platform="discord", community_id="g1", **kw)  # type: ignore[arg-type]
        return [m.message_id for m in found]

    assert ids() == ["early", "random", "bob", "late"]
    assert ids(until=T0 + timedelta(minutes=20)) == ["early", "random"]  # until is exclusive
    assert ids(channel_id="c2") == ["random"]
    assert ids(user_id="u-bob") == ["bob"]
    assert ids(since=T0 - timedelta(hours=1)) == ["before", "early", "random", "bob", "late"]


def test_delete_message(store: SqlStore) -> None:
    store.save_classification(msg("m1"), pred())
    assert store.delete_message("discord", "m1") is True
    assert store.get_message("discord", "m1") is None
    assert store.delete_message("discord", "m1") is False


# --- settings and opt-out ------------------------------------------------------------------------


def test_settings_default_then_round_trip(store: SqlStore) -> None:
    assert store.community_settings(GUILD) == CommunitySettings()
    assert store.channel_settings(GENERAL) == ChannelSettings()
    community = CommunitySettings(
        mod_channel_id="mods",
        empathy_enabled=False,
        empathy_mode="thread",
        crisis_resources="Call 123",
        retention_days=30,
        min_group_size=5,
        timezone="Europe/Paris",
        moderators=("u1", "u2"),
        owner_told_no_mod_channel=True,
    )
    channel = ChannelSettings(
        enabled=False, empathy_enabled=False, empathy_threshold=0.65, extra={"k": "v"}
    )
    store.save_community_settings(GUILD, community)
    store.save_channel_settings(GENERAL, channel)
    assert store.community_settings(GUILD) == community
    assert store.channel_settings(GENERAL) == channel
    assert store.channel_settings(RANDOM) == ChannelSettings()  # another channel: untouched
    store.save_community_settings(GUILD, CommunitySettings(retention_days=7))
    assert store.community_settings(GUILD) == CommunitySettings(retention_days=7)


def test_settings_tolerate_unknown_and_missing_keys(store: SqlStore) -> None:
    store.save_community_settings(GUILD, CommunitySettings())
    with store.engine.begin() as conn:
        conn.execute(
            update(Community).values(settings={"retention_days": 14, "from_the_future": 1})
        )
    assert store.community_settings(GUILD) == CommunitySettings(retention_days=14)


def test_opt_out_and_back_in(store: SqlStore) -> None:
    assert store.is_opted_out(ANN) is False
    store.set_opted_out(ANN, True)
    assert store.is_opted_out(ANN) is True
    assert store.is_opted_out(BOB) is False
    with store.engine.connect() as conn:
        assert conn.scalar(select(Member.opted_out_at)) is not None
    store.set_opted_out(ANN, False)
    assert store.is_opted_out(ANN) is False
    assert count(store, Member) == 1


# --- labels and flags ----------------------------------------------------------------------------


def test_labels_keep_text_and_filter_by_time(store: SqlStore) -> None:
    first = store.add_label(label(by=ANN, message_id="m1", text="I am so tired", minutes=0))
    second = store.add_label(label(by=BOB, message_id=None, text="great day", minutes=10))
    assert second > first
    everything = store.labels()
    assert [(x.id, x.text, x.labelled_by) for x in everything] == [
        (first, "I am so tired", "u-ann"),
        (second, "great day", "u-bob"),
    ]
    assert everything[0].model_label == "joy" and everything[0].labelled_at == T0
    assert [x.id for x in store.labels(since=T0 + timedelta(minutes=5))] == [second]


def test_labelling_a_message_again_replaces_the_label(store: SqlStore) -> None:
    # Issue 16, item 15: the second label of the same message by the same person was a new row.
    from dataclasses import replace

    first = store.add_label(label(by=ANN, message_id="m1", text="so tired", minutes=0))
    again = store.add_label(
        replace(label(by=ANN, message_id="m1", text="so tired", minutes=5), emotion="anger")
    )
    other = store.add_label(label(by=BOB, message_id="m1", text="so tired", minutes=6))
    assert again == first and other != first
    kept = store.labels()
    assert [(x.labelled_by, x.emotion, x.labelled_at) for x in kept] == [
        ("u-ann", "anger", T0 + timedelta(minutes=5)),
        ("u-bob", "sadness", T0 + timedelta(minutes=6)),
    ]


def test_flag_lifecycle(store: SqlStore) -> None:
    created = store.add_flag(flag(user=ANN, message_id="m1"))
    assert created.id > 0 and created.state == "open"
    assert store.get_flag(created.id) == created
    assert store.open_flags_for("discord", "u-ann", since=T0) == [created]
    assert store.open_flags_for("discord", "u-ann", since=T0 + timedelta(minutes=1)) == []
    assert store.open_flags_for("discord", "u-bob", since=T0) == []

    at = T0 + timedelta(hours=1)
    acked = store.set_flag_state(created.id, "acknowledged", by="mod-1", at=at)
    assert acked is not None
    assert (acked.state, acked.reviewed_by, acked.reviewed_at) == ("acknowledged", "mod-1", at)
    assert store.open_flags_for("discord", "u-ann", since=T0) == []
    resolved = store.set_flag_state(created.id, "resolved", by="mod-2", at=at)
    assert resolved is not None and resolved.state == "resolved"
    # A moderator may correct a review.
    corrected = store.set_flag_state(created.id, "false_alarm", by="mod-1", at=at)
    assert corrected == store.get_flag(created.id)
    assert corrected is not None and corrected.state == "false_alarm"

    with pytest.raises(ValueError, match="unknown flag state"):
        store.set_flag_state(created.id, "deleted", by="mod-1", at=at)
    assert store.set_flag_state(created.id + 1000, "resolved", by="mod-1", at=at) is None
    assert store.get_flag(created.id + 1000) is None


def test_flags_in_a_period(store: SqlStore) -> None:
    a = store.add_flag(flag(user=ANN, message_id="m1", minutes=0))
    b = store.add_flag(flag(user=BOB, message_id="m2", minutes=60))
    until = T0 + timedelta(minutes=60)
    assert store.flags(platform="discord", community_id="g1", since=T0) == [a, b]
    assert store.flags(platform="discord", community_id="g1", since=T0, until=until) == [a]
    assert store.flags(platform="discord", community_id="g2", since=T0) == []


# --- privacy -------------------------------------------------------------------------------------


def _two_members(store: SqlStore) -> dict[str, int]:
    """Ann and Bob with messages, labels and flags touching each other; returns some ids."""
    store.save_classification(msg("a1", user=ANN), pred())
    store.save_classification(msg("a2", user=ANN, channel=RANDOM), pred("sadness"))
    store.save_classification(msg("b1", user=BOB), pred())
    ids = {
        "ann_labels_own": store.add_label(label(by=ANN, message_id="a1")),
        "ann_labels_bob": store.add_label(label(by=ANN, message_id="b1")),
        "bob_labels_ann": store.add_label(label(by=BOB, message_id="a2", text="Ann's words")),
        "bob_labels_own": store.add_label(label(by=BOB, message_id="b1")),
        "flag_ann": store.add_flag(flag(user=ANN, message_id="a2")).id,
        "flag_bob": store.add_flag(flag(user=BOB, message_id="b1")).id,
    }
    store.set_flag_state(ids["flag_bob"], "acknowledged", by=ANN.id, at=T0)  # Ann moderates
    return ids


def test_forget_deletes_every_row_of_that_member_and_nobody_elses(store: SqlStore) -> None:
    ids = _two_members(store)
    # 2 messages + 3 labels (2 she gave, 1 on her message) + 1 flag + her member row
    assert store.forget_user("discord", ANN.id) == 7

    assert store.get_message("discord", "a1") is None and store.get_message("discord", "a2") is None
    assert store.get_message("discord", "b1") is not None
    assert [x.id for x in store.labels()] == [ids["bob_labels_own"]]
    assert store.get_flag(ids["flag_ann"]) is None
    bob_flag = store.get_flag(ids["flag_bob"])
    assert bob_flag is not None and bob_flag.state == "acknowledged"
    assert bob_flag.reviewed_by is None  # her id is gone from the review too
    with store.engine.connect() as conn:
        assert list(conn.scalars(select(Member.platform_id))) == [BOB.id]
        for table in (Message.user_id, Label.labelled_by, DistressFlagRow.user_id):
            assert conn.scalar(select(func.count()).where(table == ANN.id)) == 0
    export = store.export_user("discord", ANN.id)
    assert export["member"] is None and export["messages"] == [] and export["distress_flags"] == []
    assert store.forget_user("discord", ANN.id) == 0


def test_forget_keeps_an_opt_out(store: SqlStore) -> None:
    store.save_classification(msg("a1", user=ANN), pred())
    store.set_opted_out(ANN, True)
    assert store.forget_user("discord", ANN.id) == 1  # the message; the bare opt-out stays
    assert store.is_opted_out(ANN) is True
    with store.engine.connect() as conn:
        assert conn.scalar(select(Member.name)) == ""


def test_export_holds_everything_about_the_member_only(store: SqlStore) -> None:
    ids = _two_members(store)
    data = store.export_user("discord", ANN.id)
    json.dumps(data)  # JSON-able as it is
    assert data["user_id"] == ANN.id and data["member"]["name"] == "Ann"
    assert data["member"]["opted_out"] is False
    assert [m["message_id"] for m in data["messages"]] == ["a1", "a2"]
    assert data["messages"][1]["label"] == "sadness"
    assert data["messages"][0]["sent_at"] == T0.isoformat()
    assert [x["message_id"] for x in data["labels_given"]] == ["a1", "b1"]
    on_mine = data["labels_on_my_messages"]
    assert [x["text"] for x in on_mine] == ["Ann's words"]
    assert "labelled_by" not in on_mine[0]  # who labelled her message is someone else's data
    assert [f["id"] for f in data["distress_flags"]] == [ids["flag_ann"]]
    assert "reviewed_by" not in data["distress_flags"][0]
    assert BOB.id not in json.dumps(data)


# --- retention, models, jobs ---------------------------------------------------------------------


def test_delete_older_than_keeps_open_flags(store: SqlStore) -> None:
    store.save_classification(msg("old", minutes=0), pred())
    store.save_classification(msg("new", minutes=120), pred())
    store.add_label(label(by=ANN, message_id="old", minutes=0))
    new_label = store.add_label(label(by=ANN, message_id="new", minutes=120))
    old_open = store.add_flag(flag(user=ANN, message_id="old", minutes=0))
    # one open flag per member (0006): the reviewed one is stored reviewed
    old_done = store.add_flag(flag(user=ANN, message_id="old", minutes=1, state="resolved"))
    store.set_flag_state(old_done.id, "resolved", by="mod", at=T0)
    new_done = store.add_flag(flag(user=ANN, message_id="new", minutes=120, state="false_alarm"))

    cutoff = T0 + timedelta(minutes=60)
    assert store.delete_older_than(cutoff) == 3  # old message, old label, old reviewed flag
    assert store.get_message("discord", "old") is None
    assert store.get_message("discord", "new") is not None
    assert [x.id for x in store.labels()] == [new_label]
    assert store.get_flag(old_open.id) is not None
    assert store.get_flag(old_done.id) is None
    assert store.get_flag(new_done.id) is not None
    assert store.delete_older_than(cutoff) == 0


def test_model_versions_and_job_runs(store: SqlStore) -> None:
    store.record_model_version("v1", path="/models/a", metrics={"macro_f1": 0.5})
    store.record_model_version("v1", path="/models/b", metrics={"macro_f1": 0.6})
    store.record_model_version("v2", path="/models/c", metrics={})
    with store.engine.connect() as conn:
        rows = conn.execute(select(ModelVersion.version, ModelVersion.path, ModelVersion.metrics))
        assert sorted(rows) == [("v1", "/models/b", {"macro_f1": 0.6}), ("v2", "/models/c", {})]
    end = T0 + timedelta(seconds=3)
    store.record_job_run("retention", started_at=T0, finished_at=end, status="ok", details={"n": 3})
    with store.engine.connect() as conn:
        run = conn.execute(select(JobRun)).one()
    assert (run.job, run.status, run.details, run.started_at, run.finished_at) == (
        "retention",
        "ok",
        {"n": 3},
        T0,
        end,
    )
