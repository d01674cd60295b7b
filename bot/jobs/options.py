"""The scheduler's and the retraining job's tunables, with defaults that suit a small server.

:func:`job_options` reads them from :class:`bot.config.Settings` (every field is listed in
``.env.example``); a field the settings do not have keeps its default here.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from bot.config import WEEKDAYS


@dataclass(frozen=True)
class RetrainOptions:
    """What a retraining run does (``RETRAIN_*`` settings)."""

    min_labels: int = 50  # human labels since the current model needed to start a run
    min_new_after_attempt: int = 10  # new labels needed to try again after a rejected/failed run
    holdout: float = 0.2  # share of community labels kept out of training, for the gate
    min_holdout: int = 10
    replay_ratio: float = 4.0  # original training examples per community example...
    # ...but at least this many: the emotion head alone learns (``layers``), and 4,000 original
    # examples keep GoEmotions where it was (measured: 0.510 -> 0.512 with 200 labels; 1,000 and a
    # learning rate of 5e-4 cost 0.03)
    replay_min: int = 4000
    repeat: int = 4  # community examples are seen this many times per epoch
    # Research rows of the distress data kept in a run (0: all ~8,000): more would drown the
    # community's labels and take an hour; the gate still checks the distress recall.
    distress_rows: int = 2000
    # Which weights learn (``fit --train-layers``): the emotion head only, so the risk signal, the
    # embedding and the exemplar matcher stay exactly as measured; "all" to fine-tune everything.
    layers: str = "emotion-head"
    data: str | None = None  # the original dataset folder (default: the model's training data)
    epochs: int = 2
    lr: float = 2e-4  # the emotion head only: a few hundred steps from where it is
    threads: int = 0  # torch threads in the training process (0: half the cores)
    nice: int = 10
    timeout_s: int = 4 * 3600
    tolerance: float = 0.01  # how much worse on the original split a candidate may be
    min_gain: float = 0.0  # how much better on the community slice it must be (strictly better)
    min_parity: float = 0.99  # int8 vs PyTorch argmax agreement the candidate must reach
    gate_max_examples: int = 0  # 0: the whole original held-out split
    min_free_gb: float = 2.0  # refuse to start with less free disk in the models store
    extra_args: tuple[str, ...] = ()  # more ``python -m train fit`` flags
    train_command: tuple[str, ...] = ()  # default: (python, -m, train)
    gate_command: tuple[str, ...] = ()  # default: (python, -m, train.gate)
    seed: int = 13

    @property
    def torch_threads(self) -> int:
        return self.threads if self.threads > 0 else max(1, (os.cpu_count() or 2) // 2)

    @property
    def train_cmd(self) -> tuple[str, ...]:
        return self.train_command or (sys.executable, "-m", "train")

    @property
    def gate_cmd(self) -> tuple[str, ...]:
        return self.gate_command or (sys.executable, "-m", "train.gate")


@dataclass(frozen=True)
class JobOptions:
    """When the jobs run and where models are kept."""

    scheduler_enabled: bool = True
    summary_enabled: bool = True
    summary_weekday: str = "mon"
    summary_hour: int = 9
    summary_minute: int = 0
    summary_timezone: str | None = None  # None: each community's own time zone
    summary_grace_s: int = 12 * 3600  # a summary missed while the bot was down is sent this late
    retrain_enabled: bool = True
    retrain_weekday: str = "sun"
    retrain_hour: int = 3
    retrain_timezone: str = "UTC"
    retrain_grace_s: int = 24 * 3600
    reconcile_every_s: int = 3600  # new communities and changed time zones are picked up this often
    model_watch_s: int = 60  # how often the bot looks for a model promoted by the CLI
    models_store: Path = Path("models-store")
    models_keep: int = 3
    classifier_threads: int = 0
    retrain: RetrainOptions = field(default_factory=RetrainOptions)

    def __post_init__(self) -> None:
        for name in ("summary_weekday", "retrain_weekday"):
            if getattr(self, name) not in WEEKDAYS:
                raise ValueError(f"{name.upper()} must be one of {', '.join(WEEKDAYS)}")
        for name in ("summary_hour", "retrain_hour"):
            if not 0 <= getattr(self, name) <= 23:
                raise ValueError(f"{name.upper()} must be between 0 and 23")


def job_options(settings: Any, **overrides: Any) -> JobOptions:
    """Options from ``settings`` (fields ``summary_*``, ``retrain_*``, ``models_*``,
    ``scheduler_enabled``, ``classifier_threads``); ``overrides`` win."""
    top: dict[str, Any] = {}
    for f in fields(JobOptions):
        if f.name != "retrain" and hasattr(settings, f.name):
            top[f.name] = getattr(settings, f.name)
    if "models_store" in top:
        top["models_store"] = Path(top["models_store"])
    retrain: dict[str, Any] = {}
    for f in fields(RetrainOptions):
        name = f"retrain_{f.name}"
        if hasattr(settings, name) and getattr(settings, name) is not None:
            value = getattr(settings, name)
            if f.name == "extra_args" and isinstance(value, str):
                value = tuple(value.split())
            retrain[f.name] = value
    options = JobOptions(**top, retrain=RetrainOptions(**retrain))
    retrain_overrides = overrides.pop("retrain", None)
    if isinstance(retrain_overrides, dict):
        overrides["retrain"] = replace(options.retrain, **retrain_overrides)
    elif retrain_overrides is not None:
        overrides["retrain"] = retrain_overrides
    return replace(options, **overrides)
