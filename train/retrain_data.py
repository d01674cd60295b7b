"""Extra training examples for retraining: community labels plus a replay sample of the
original data.

``python -m train fit --extra-train FILE`` calls :func:`with_extra`. ``FILE`` is in the dataset's
own format (GoEmotions ``text<TAB>label ids<TAB>id`` lines in a ``.tsv``, dair-ai/emotion
``text;label`` lines otherwise), so the original readers check it. An optional sidecar
``FILE`` with the suffix ``.json`` (``extra.tsv`` -> ``extra.json``) says how to mix::

    {"replay": 2000, "repeat": 2, "seed": 13}

* ``replay``: how many examples of the original training split to keep, drawn at random (a
  replay sample, so that fine-tuning on a few hundred community labels does not make the model
  forget the rest); absent or null: the whole split;
* ``repeat``: how many times each extra example appears (community labels are few);
* ``seed``: the draw's seed.

Without a sidecar the extra examples are simply added to the whole original split.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from train.data import DataError, Split, _read_emotion, _read_goemotions

logger = logging.getLogger(__name__)


def sidecar_path(path: Path) -> Path:
    return path.with_suffix(".json")


def read_extra(path: Path) -> Split:
    """Read an extra-examples file in the format its suffix names (``.tsv``: GoEmotions)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: extra training file missing")
    return _read_goemotions(path) if path.suffix == ".tsv" else _read_emotion(path)


def read_mix(path: Path) -> dict[str, Any]:
    """The sidecar's mixing spec (empty when there is none)."""
    side = sidecar_path(Path(path))
    if not side.is_file():
        return {}
    try:
        spec = json.loads(side.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{side}: not valid JSON ({exc})") from exc
    if not isinstance(spec, dict):
        raise DataError(f"{side}: expected a JSON object")
    return spec


def replay_sample(split: Split, n: int | None, seed: int = 13) -> Split:
    """``n`` examples of ``split`` drawn without replacement (all of it when ``n`` is None or
    at least its size)."""
    if n is None or n >= len(split):
        return split
    rng = np.random.default_rng(seed)
    return split.subset(np.sort(rng.choice(len(split), size=max(0, n), replace=False)))


def concat(first: Split, second: Split) -> Split:
    if first.scheme.labels != second.scheme.labels:
        raise DataError(
            f"{second.source} uses {second.scheme.name} labels but {first.source} uses "
            f"{first.scheme.name} labels"
        )
    return Split(
        first.texts + second.texts,
        np.concatenate([first.targets, second.targets]).astype(first.targets.dtype),
        first.scheme,
        f"{first.source}+{second.source}",
    )


def with_extra(split: Split, path: Path) -> Split:
    """The training split for a retraining run: a replay sample of ``split`` plus the extra
    examples of ``path`` (see the module doc)."""
    extra = read_extra(path)
    spec = read_mix(path)
    replay = spec.get("replay")
    repeat = max(1, int(spec.get("repeat", 1)))
    seed = int(spec.get("seed", 13))
    base = replay_sample(split, None if replay is None else int(replay), seed)
    combined = base
    for _ in range(repeat):
        combined = concat(combined, extra)
    logger.info(
        "training on %d original examples (of %d) + %d extra examples x %d = %d",
        len(base),
        len(split),
        len(extra),
        repeat,
        len(combined),
    )
    return combined
