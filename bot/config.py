"""Settings, read from the environment and ``.env`` (pydantic-settings).

Built by :func:`load_settings`, never at import time, so tests and tools build their own.
Every field is listed with a comment in ``.env.example``; environment variables are the field
names in upper case (``DATABASE_URL``, ``DISCORD_TOKEN``, ...). Obvious placeholder secrets
("changeme", "your-token-here", "<...>") are refused with a clear error instead of being sent to
Discord or Slack.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.options import CoreOptions
from bot.core.policy import DEFAULT_EMPATHY_THRESHOLD
from bot.core.strings import DEFAULT_CRISIS_RESOURCES

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_DIR = REPO_ROOT / "models" / "goemotions-minilm-int8"
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data" / "emotion"  # dair-ai/emotion, for benches

SECRET_FIELDS = ("discord_token", "slack_bot_token", "slack_app_token", "slack_signing_secret")
PLACEHOLDERS = {
    "changeme",
    "change-me",
    "change_me",
    "changethis",
    "replace-me",
    "replaceme",
    "your-token",
    "your-token-here",
    "your_token_here",
    "token",
    "secret",
    "xxx",
    "xxxx",
    "todo",
    "tbd",
    "placeholder",
    "none",
    "null",
    "...",
}


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # as APScheduler spells them
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# Length caps: a value longer than these is a mistake (or an attack), refused at start-up.
MAX_TEXT = 4_000  # any string setting (URLs, crisis resources, lists of ids)
MAX_SECRET = 1_000  # tokens and secrets
MAX_SHARDS = 65_536  # far above what the largest bots run; a typo is caught, not launched
# Console names become platform ids and names in the database (ID columns are 64 characters).
Name = Annotated[str, Field(min_length=1, max_length=64)]
Zone = Annotated[str, Field(max_length=64)]


class SettingsError(ValueError):
    """The configuration cannot be used (the message says which setting and why)."""


def _is_placeholder(value: str) -> bool:
    v = value.strip().lower()
    return v in PLACEHOLDERS or (v.startswith("<") and v.endswith(">")) or "changeme" in v


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,
        protected_namespaces=(),
        str_max_length=MAX_TEXT,
    )

    # storage and model
    database_url: str = "sqlite:///emotion-bot.db"
    # migrate the database on start; false: only check it is migrated (`emotion-bot db upgrade`)
    auto_migrate: bool = True
    model_dir: Path = DEFAULT_MODEL_DIR
    classifier_threads: int = Field(0, ge=0, le=1024)  # 0: let ONNX Runtime choose
    log_level: str = "INFO"  # DEBUG | INFO | WARNING | ERROR | CRITICAL (`-v`: DEBUG)
    # /healthz and Prometheus /metrics on METRICS_HOST:METRICS_PORT (bot.metrics); off when unset
    metrics_port: int | None = Field(None, ge=1, le=65535)
    metrics_host: str = Field("127.0.0.1", max_length=253)

    # platforms (an adapter starts when its tokens are set)
    # Secrets are SecretStr: repr() and logs show "**********"; get_secret_value() reads them.
    discord_token: SecretStr | None = None
    # sync commands to this guild only (instant)
    discord_dev_guild_id: int | None = Field(None, ge=0, lt=2**64)
    # Sharding (docs/discord.md): the total shard count, the same in every process; unset: the
    # count Discord recommends, all in this process. DISCORD_SHARD_IDS (e.g. "0,1"): the shards
    # this process runs; the one holding shard 0 syncs the slash commands.
    discord_shard_count: int | None = Field(None, ge=1, le=MAX_SHARDS)
    discord_shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = None
    slack_bot_token: SecretStr | None = None  # xoxb-...
    slack_app_token: SecretStr | None = None  # xapp-... (Socket Mode)
    slack_signing_secret: SecretStr | None = None  # HTTP mode
    slack_moderators: str | None = None  # comma-separated Slack user ids treated as moderators
    # HTTP mode listens on 127.0.0.1:PORT unless SLACK_HOST says otherwise
    slack_port: int = Field(3000, ge=1, le=65535)
    slack_host: str = Field("127.0.0.1", max_length=253)
    slack_api_url: str | None = None  # another Slack Web API base URL (tests, an egress proxy)

    # policies
    empathy_threshold: float = DEFAULT_EMPATHY_THRESHOLD  # from the dev set, see bot/core/policy.py
    empathy_member_cooldown_minutes: float = 360.0
    empathy_channel_cooldown_minutes: float = 10.0
    # Distress flags: which of the model's budget-chosen operating points (low | default | high).
    distress_sensitivity: Literal["low", "default", "high"] = "default"
    distress_dedup_hours: float = 24.0
    crisis_resources: str | None = None  # None: the built-in international default
    retention_days: int = 90
    classify_batch_size: int = Field(32, ge=1, le=4096)

    # scheduler (bot.jobs): weekly summaries, retraining, retention
    scheduler_enabled: bool = True
    # several processes on one database (bot.jobs.scheduler): a job run's lease, how often each
    # process looks for runs to take up, how often a follower tries to lead
    scheduler_lease_s: float = Field(120.0, ge=1.0, le=86_400.0)
    scheduler_poll_s: float = Field(30.0, ge=0.1, le=3_600.0)
    scheduler_leader_retry_s: float = Field(15.0, ge=0.1, le=3_600.0)
    summary_enabled: bool = True
    summary_weekday: str = "mon"
    summary_hour: int = 9
    summary_minute: int = Field(0, ge=0, le=59)
    summary_timezone: Zone | None = None  # None: each community's own (/emotion settings timezone)
    retrain_enabled: bool = True
    retrain_weekday: str = "sun"
    retrain_hour: int = 3
    retrain_timezone: Zone = "UTC"
    retrain_min_labels: int = 50
    retrain_holdout: float = 0.2
    # labelled messages held out to judge a candidate; below it no run starts, --force or not
    retrain_min_holdout: int = Field(10, ge=1, le=100_000)
    retrain_data: str | None = None  # the original dataset folder (default: the model's own)
    retrain_epochs: int = 2
    retrain_lr: float = 2e-4  # the emotion head only learns (bot.jobs.options)
    retrain_threads: int = 0  # 0: half the cores
    retrain_replay_min: int = 4000
    retrain_replay_ratio: float = 4.0
    retrain_tolerance: float = 0.01
    retrain_min_gain: float = 0.0
    retrain_min_free_gb: float = 2.0
    retrain_timeout_s: int = 4 * 3600
    models_store: Path = Path("models-store")
    models_keep: int = 3

    # console adapter
    console_community: Name = "console"
    console_channel: Name = "general"
    console_member: Name = "alex"

    @field_validator(*SECRET_FIELDS, mode="before")
    @classmethod
    def _no_placeholder(cls, value: object) -> SecretStr | None:
        if value is None:
            return None
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if not isinstance(value, str):
            raise ValueError("must be text")
        secret = value.strip()
        if not secret:
            return None
        if len(secret) > MAX_SECRET:
            raise ValueError(f"is longer than {MAX_SECRET} characters; that is not a token")
        if _is_placeholder(secret):
            raise ValueError("is a placeholder value; set the real secret or leave it empty")
        return SecretStr(secret)

    @field_validator("discord_shard_ids", mode="before")
    @classmethod
    def _shard_ids(cls, value: object, info: ValidationInfo) -> tuple[int, ...] | None:
        # A comma list ("0,1"); NoDecode keeps pydantic-settings from reading it as JSON.
        if value is None:
            return None
        if isinstance(value, str):
            if len(value) > MAX_TEXT:
                raise ValueError(f"is longer than {MAX_TEXT} characters")
            if not value.strip():
                return None
            parts = [part.strip() for part in value.split(",")]
        elif isinstance(value, list | tuple):
            parts = [str(part).strip() for part in value]
        else:
            raise ValueError("must be shard numbers separated by commas, e.g. 0,1")
        ids: set[int] = set()
        for text in parts:
            if not (text.isascii() and text.isdigit()):
                raise ValueError(
                    f"must be shard numbers separated by commas, e.g. 0,1 (not {text[:20]!r})"
                )
            if int(text) in ids:
                raise ValueError(f"lists shard {int(text)} twice")
            ids.add(int(text))
        if "discord_shard_count" not in info.data:
            return tuple(sorted(ids))  # DISCORD_SHARD_COUNT itself is wrong: that error is shown
        count = info.data["discord_shard_count"]
        if count is None:
            raise ValueError("needs DISCORD_SHARD_COUNT (the total number of shards) as well")
        if max(ids) >= count:
            raise ValueError(
                f"has shard {max(ids)}, but shards are numbered 0 to {count - 1} "
                f"with DISCORD_SHARD_COUNT={count}"
            )
        return tuple(sorted(ids))

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("summary_timezone", "retrain_timezone")
    @classmethod
    def _time_zone(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not value.strip():
            return "UTC" if info.field_name == "retrain_timezone" else None
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(
                f"{value.strip()[:64]!r} is not a time zone; use an IANA name such as "
                "Europe/Berlin or UTC"
            ) from None
        return value.strip()

    @field_validator("empathy_threshold")
    @classmethod
    def _unit(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError("must be between 0 and 1")
        return value

    @field_validator("summary_weekday", "retrain_weekday")
    @classmethod
    def _weekday(cls, value: str) -> str:
        value = value.strip().lower()[:3]
        if value not in WEEKDAYS:
            raise ValueError(f"must be one of {', '.join(WEEKDAYS)}")
        return value

    @field_validator("summary_hour", "retrain_hour")
    @classmethod
    def _hour(cls, value: int) -> int:
        if not 0 <= value <= 23:
            raise ValueError("must be an hour between 0 and 23")
        return value

    @field_validator("retention_days")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1 day")
        return value

    @property
    def discord_configured(self) -> bool:
        return bool(self.discord_token)

    @property
    def slack_configured(self) -> bool:
        return bool(self.slack_bot_token and (self.slack_app_token or self.slack_signing_secret))

    def core_options(self) -> CoreOptions:
        """The core's tunables from these settings."""
        return CoreOptions(
            empathy_threshold=self.empathy_threshold,
            member_cooldown=timedelta(minutes=self.empathy_member_cooldown_minutes),
            channel_cooldown=timedelta(minutes=self.empathy_channel_cooldown_minutes),
            distress_sensitivity=self.distress_sensitivity,
            distress_dedup=timedelta(hours=self.distress_dedup_hours),
            crisis_resources=self.crisis_resources or DEFAULT_CRISIS_RESOURCES,
            retention_days=self.retention_days,
            max_batch=self.classify_batch_size,
        )


def _problem(err: Any) -> str:
    """One validation error as ``NAME what is wrong`` (never the value: it may be a secret)."""
    name = ".".join(str(p) for p in err["loc"]).upper()
    text = str(err["msg"]).removeprefix("Value error, ")
    return f"{name} {text[:1].lower()}{text[1:]}"


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and ``.env``; keyword overrides win (tests use them).

    Raises :class:`SettingsError` naming the environment variable when a value is unusable.
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(_problem(err) for err in exc.errors())
        raise SettingsError(f"invalid configuration: {problems}") from None
