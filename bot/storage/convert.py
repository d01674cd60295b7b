"""Conversions between database rows and the core's records (:mod:`bot.core.records`)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Row

from bot.core.records import FlagRecord, HumanLabel, StoredMessage

SettingsT = TypeVar("SettingsT")


def settings_to_json(settings: Any) -> dict[str, Any]:
    """A settings dataclass as a JSON-able dict (tuples become lists)."""
    data = dataclasses.asdict(settings)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def settings_from_json(cls: type[SettingsT], data: dict[str, Any] | None) -> SettingsT:
    """Rebuild a settings dataclass; unknown keys are ignored and missing ones take the default,
    so settings written by an older or newer version of the bot still load."""
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in (data or {}).items():
        field = fields.get(key)
        if field is None:
            continue
        if isinstance(field.default, tuple) and isinstance(value, list):
            value = tuple(value)
        elif isinstance(value, dict):
            value = dict(value)
        kwargs[key] = value
    return cls(**kwargs)


def to_message(row: Row[Any]) -> StoredMessage:
    return StoredMessage(
        platform=row.platform,
        message_id=row.message_id,
        community_id=row.community_id,
        channel_id=row.channel_id,
        user_id=row.user_id,
        sent_at=row.sent_at,
        label=row.label,
        labels=tuple(row.labels or ()),
        scores={k: float(v) for k, v in (row.scores or {}).items()},
        model_version=row.model_version,
    )


def to_label(row: Row[Any]) -> HumanLabel:
    return HumanLabel(
        id=row.id,
        platform=row.platform,
        community_id=row.community_id,
        message_id=row.message_id,
        text=row.text,
        emotion=row.emotion,
        model_label=row.model_label,
        labelled_by=row.labelled_by,
        labelled_at=row.labelled_at,
        author_id=row.author_id,
    )


def to_flag(row: Row[Any]) -> FlagRecord:
    return FlagRecord(
        id=row.id,
        platform=row.platform,
        community_id=row.community_id,
        channel_id=row.channel_id,
        user_id=row.user_id,
        message_id=row.message_id,
        created_at=row.created_at,
        reason=row.reason,
        score=float(row.score),
        state=row.state,
        reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
        permalink=row.permalink,
    )


def iso(value: datetime | None) -> str | None:
    """An ISO 8601 string for the export (None stays None)."""
    return value.isoformat() if value is not None else None
