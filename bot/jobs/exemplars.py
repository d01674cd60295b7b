"""The communities' exemplars (from reviewed flags) in a retraining run.

They are written to the run folder as ``community-exemplars.tsv`` (the trainer's exemplar format:
``kind<TAB>category<TAB>text``) and given to ``python -m train fit --extra-exemplars``, which
trains the distress head on them. Like the labels' texts, the file is deleted when the run ends
(``TEXT_FILES`` of :mod:`bot.jobs.retrain`).

Training also embeds them into the candidate's matcher (``exemplars.npz`` and the texts in
``exemplars.tsv``); :func:`strip_from_candidate` takes them out again before the gate, because a
model folder outlives the run and serves every community: a community's exemplars stay in its
database rows (counted there for every model, :mod:`bot.core.distress.community`), where their
author's ``forget`` reaches them.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from bot.core.distress.community import CommunityExemplar
from classifier.exemplars import EXEMPLAR_TEXTS_FILE, RISK_CATEGORIES, ExemplarMatcher

logger = logging.getLogger(__name__)

FILE_NAME = "community-exemplars.tsv"
HEADER = ("kind", "category", "text")
# The trainer accepts its own categories only (train.exemplars); a reviewed false alarm is no
# particular kind of hard negative, and a risk exemplar keeps the category of the model exemplar
# nearest to it when it was added.
RISK_FALLBACK = "nonspecific"
SAFE_CATEGORY = "everyday_negative"


def rows_of(exemplars: list[CommunityExemplar]) -> list[tuple[str, str, str]]:
    """(kind, category, text) per exemplar, each text on one line without tabs (the format has
    no quoting)."""
    rows = []
    for e in exemplars:
        text = " ".join(e.text.split())
        if not text or e.kind not in ("risk", "safe"):
            continue
        if e.kind == "risk":
            category = e.category if e.category in RISK_CATEGORIES else RISK_FALLBACK
        else:
            category = SAFE_CATEGORY
        rows.append((e.kind, category, text))
    return rows


def write_file(run: Path, exemplars: list[CommunityExemplar]) -> int:
    """Write the run's exemplar file (none without exemplars); returns how many rows."""
    rows = rows_of(exemplars)
    if not rows:
        return 0
    # Plain lines: the trainer reads them unquoted (a quote mark is part of the text).
    lines = ["\t".join(row) + "\n" for row in (HEADER, *rows)]
    (run / FILE_NAME).write_text("".join(lines), encoding="utf-8")
    return len(rows)


def train_args(run: Path) -> list[str]:
    """``--extra-exemplars FILE`` when the run has a file of community exemplars."""
    path = run / FILE_NAME
    return ["--extra-exemplars", str(path)] if path.is_file() else []


def _read(path: Path, *, escaped: bool) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        escape = "\\" if escaped else None
        return list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar=escape))[1:]


def strip_from_candidate(candidate: Path, run: Path) -> int:
    """Take the run's community exemplars out of the candidate's matcher (``exemplars.npz``) and
    its texts (``exemplars.tsv``, row for row the same); returns how many rows were removed."""
    ours = run / FILE_NAME
    texts_file = candidate / EXEMPLAR_TEXTS_FILE
    matcher = ExemplarMatcher.load(candidate)
    if not ours.is_file() or matcher is None or not texts_file.is_file():
        return 0
    texts = {row[2] for row in _read(ours, escaped=False)}
    rows = _read(texts_file, escaped=True)
    if len(rows) != len(matcher):
        raise ValueError(f"{texts_file.name} and the matcher differ: {len(rows)} != {len(matcher)}")
    keep = [i for i, row in enumerate(rows) if row[-1] not in texts]
    if len(keep) == len(rows):
        return 0
    ExemplarMatcher(
        matcher.embeddings[keep],
        [matcher.kinds[i] for i in keep],
        [matcher.categories[i] for i in keep],
    ).save(candidate)
    with texts_file.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
        writer.writerow(HEADER)
        writer.writerows(rows[i] for i in keep)
    removed = len(rows) - len(keep)
    logger.info("took %d community exemplars out of the candidate's matcher", removed)
    return removed
