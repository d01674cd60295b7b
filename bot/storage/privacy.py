""" "Forget me" and "export my data": everything stored about one member, inside a transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, or_, select, update

from bot.storage.convert import iso
from bot.storage.tables import (
    CommunityExemplarRow,
    DistressEvidence,
    DistressFlagRow,
    Label,
    Member,
    Message,
)

EXPORT_FORMAT = 1


def _their_message_ids(platform: str, user_id: str) -> Any:
    return select(Message.message_id).where(
        Message.platform == platform, Message.user_id == user_id
    )


def _on_their_messages(platform: str, user_id: str) -> Any:
    """Labels of the member's messages: by the recorded author (also once the message row is gone,
    deleted or purged by retention), or through a message row still there (labels older than
    ``author_id``, migration 0004)."""
    return or_(
        Label.author_id == user_id,
        Label.message_id.in_(_their_message_ids(platform, user_id)),
    )


def forget_user(conn: Connection, platform: str, user_id: str) -> int:
    """Delete the member's rows; returns how many were deleted (see ``SqlStore.forget_user``).

    Labels go both ways: those of the member's messages (they hold the member's text), and those
    the member gave, also on other people's messages (they carry the member's id as
    ``labelled_by``; the other person's text stays in their own message, only this label is lost).
    """
    labels_about = or_(Label.labelled_by == user_id, _on_their_messages(platform, user_id))
    count = conn.execute(delete(Label).where(Label.platform == platform, labels_about)).rowcount
    count += conn.execute(
        delete(DistressFlagRow).where(
            DistressFlagRow.platform == platform, DistressFlagRow.user_id == user_id
        )
    ).rowcount
    count += conn.execute(
        delete(Message).where(Message.platform == platform, Message.user_id == user_id)
    ).rowcount
    count += _forget_distress_rows(conn, platform, user_id)
    # Flags about other people that this member reviewed as a moderator: keep, but drop the id.
    conn.execute(
        update(DistressFlagRow)
        .where(DistressFlagRow.platform == platform, DistressFlagRow.reviewed_by == user_id)
        .values(reviewed_by=None)
    )
    member = (Member.platform == platform, Member.platform_id == user_id)
    opted_out = conn.scalar(select(Member.opted_out).where(*member))
    if opted_out:
        # Keep the bare opt-out so that forgetting never starts processing them again.
        conn.execute(update(Member).where(*member).values(name=""))
    else:
        count += conn.execute(delete(Member).where(*member)).rowcount
    return int(count)


def _forget_distress_rows(conn: Connection, platform: str, user_id: str) -> int:
    """Community exemplars made from the member's messages (they hold the text) and their
    medium-risk evidence; exemplars they added as a moderator stay, without their id."""
    ex = CommunityExemplarRow
    count = conn.execute(
        delete(ex).where(ex.platform == platform, ex.author_id == user_id)
    ).rowcount
    conn.execute(
        update(ex).where(ex.platform == platform, ex.added_by == user_id).values(added_by=None)
    )
    ev = DistressEvidence
    count += conn.execute(delete(ev).where(ev.platform == platform, ev.user_id == user_id)).rowcount
    return int(count)


def _export_distress_rows(conn: Connection, platform: str, user_id: str) -> dict[str, Any]:
    ex, ev = CommunityExemplarRow, DistressEvidence
    mine = conn.execute(
        select(ex).where(ex.platform == platform, ex.author_id == user_id).order_by(ex.id)
    ).all()
    added = conn.execute(
        select(ex).where(ex.platform == platform, ex.added_by == user_id).order_by(ex.id)
    ).all()
    evidence = conn.execute(
        select(ev).where(ev.platform == platform, ev.user_id == user_id).order_by(ev.seen_at)
    ).all()
    return {
        "community_exemplars_from_my_messages": [
            {
                "community_id": r.community_id,
                "message_id": r.message_id,
                "kind": r.kind,
                "category": r.category,
                "text": r.text,
                "added_at": iso(r.added_at),
            }
            for r in mine
        ],
        # other people's messages: no text, no author
        "community_exemplars_added": [
            {"community_id": r.community_id, "kind": r.kind, "added_at": iso(r.added_at)}
            for r in added
        ],
        "distress_evidence": [
            {"community_id": r.community_id, "message_id": r.message_id, "seen_at": iso(r.seen_at)}
            for r in evidence
        ],
    }


def export_user(conn: Connection, platform: str, user_id: str, *, now: datetime) -> dict[str, Any]:
    """Everything stored about the member as a JSON-able dict (ids of other people left out)."""
    member = conn.execute(
        select(Member).where(Member.platform == platform, Member.platform_id == user_id)
    ).first()
    messages = conn.execute(
        select(Message)
        .where(Message.platform == platform, Message.user_id == user_id)
        .order_by(Message.sent_at, Message.id)
    ).all()
    given = conn.execute(
        select(Label)
        .where(Label.platform == platform, Label.labelled_by == user_id)
        .order_by(Label.labelled_at, Label.id)
    ).all()
    about = conn.execute(
        select(Label)
        .where(Label.platform == platform, Label.labelled_by != user_id)
        .where(_on_their_messages(platform, user_id))
        .order_by(Label.labelled_at, Label.id)
    ).all()
    flags = conn.execute(
        select(DistressFlagRow)
        .where(DistressFlagRow.platform == platform, DistressFlagRow.user_id == user_id)
        .order_by(DistressFlagRow.created_at, DistressFlagRow.id)
    ).all()
    return {
        "format": EXPORT_FORMAT,
        "platform": platform,
        "user_id": user_id,
        "exported_at": iso(now),
        "member": _member(member) if member is not None else None,
        "messages": [_message(r) for r in messages],
        "labels_given": [_label(r, with_author=True) for r in given],
        "labels_on_my_messages": [_label(r, with_author=False) for r in about],
        "distress_flags": [_flag(r) for r in flags],
        **_export_distress_rows(conn, platform, user_id),
    }


def _member(r: Any) -> dict[str, Any]:
    return {
        "name": r.name,
        "opted_out": bool(r.opted_out),
        "opted_out_at": iso(r.opted_out_at),
        "first_seen": iso(r.created_at),
    }


def _message(r: Any) -> dict[str, Any]:
    return {
        "message_id": r.message_id,
        "community_id": r.community_id,
        "channel_id": r.channel_id,
        "sent_at": iso(r.sent_at),
        "label": r.label,
        "labels": list(r.labels or ()),
        "scores": {k: float(v) for k, v in (r.scores or {}).items()},
        "model_version": r.model_version,
    }


def _label(r: Any, *, with_author: bool) -> dict[str, Any]:
    data = {
        "community_id": r.community_id,
        "message_id": r.message_id,
        "text": r.text,
        "emotion": r.emotion,
        "model_label": r.model_label,
        "labelled_at": iso(r.labelled_at),
    }
    if with_author:
        data["labelled_by"] = r.labelled_by
    return data


def _flag(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "community_id": r.community_id,
        "channel_id": r.channel_id,
        "message_id": r.message_id,
        "created_at": iso(r.created_at),
        "reason": r.reason,
        "score": float(r.score),
        "state": r.state,
        "reviewed_at": iso(r.reviewed_at),
        "permalink": r.permalink,
    }
