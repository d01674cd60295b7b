"""The models store and ``emotion-bot models list | promote | rollback``, on model folders that
pass the artifact checks (no ONNX is run here)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from bot.cli import models as models_cli
from bot.modelstore.registry import ModelRegistry, RegistryError
from classifier.artifact import write_json
from classifier.scheme import goemotions_scheme
from tests.jobs.conftest import current_of


def fake_model(folder: Path, version: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "model.onnx").write_bytes(b"\0" * 2048)
    (folder / "tokenizer.json").write_text("{}")
    write_json(folder / "labels.json", goemotions_scheme().to_json())
    write_json(folder / "meta.json", {"version": version, "metrics": {}})
    return folder


def test_add_promote_rollback_and_prune(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "store", keep=2)
    shipped = fake_model(tmp_path / "shipped", "v0")
    assert registry.current() is None
    assert registry.current_dir(shipped) == shipped

    entries = []
    for i in range(1, 5):
        ckpt = tmp_path / f"ckpt{i}"
        ckpt.mkdir()
        (ckpt / "config.json").write_text("{}")
        entry = registry.add(fake_model(tmp_path / f"cand{i}", f"v{i}"), checkpoint=ckpt)
        assert not (tmp_path / f"cand{i}").exists()  # moved into the store
        assert entry.folder == registry.root / f"v{i}" / "model"
        assert entry.checkpoint_dir == registry.root / f"v{i}" / "checkpoint"
        registry.promote(entry.version, serving=shipped)
        entries.append(entry)
        assert registry.current_dir(shipped) == entry.folder

    # The shipped model was recorded (external) before the first promotion.
    assert registry.history()[0] == "v0"
    shipped_entry = registry.get("v0")
    assert shipped_entry is not None and shipped_entry.source == "external"
    # keep=2: v3 and v4 (newest; also the current and the one before it), and the external
    # shipped model; v1 and v2 are pruned, folders included.
    kept = {e.version for e in registry.entries()}
    assert kept == {"v0", "v3", "v4"}
    assert not (registry.root / "v1").exists() and not (registry.root / "v2").exists()
    assert shipped.is_dir()  # an external folder is never deleted

    assert registry.rollback().version == "v3"
    assert current_of(registry).version == "v3"
    assert registry.rollback().version == "v0"
    assert registry.current_dir(shipped) == shipped.resolve()
    with pytest.raises(RegistryError, match="nothing to roll back"):
        registry.rollback()
    with pytest.raises(RegistryError, match="no version 'v9'"):
        registry.promote("v9")


def test_promote_refuses_a_broken_folder(tmp_path: Path) -> None:
    from classifier import ModelLoadError

    registry = ModelRegistry(tmp_path / "store")
    entry = registry.add(fake_model(tmp_path / "m", "v1"))
    (entry.folder / "model.onnx").unlink()
    with pytest.raises(ModelLoadError, match=r"missing model\.onnx"):
        registry.promote("v1")
    assert registry.current() is None


def test_state_and_run_dirs(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "store")
    registry.update_state(last_failure="crash")
    assert registry.state() == {"last_failure": "crash"}
    run = registry.new_run_dir("20250101-000000")
    assert run.is_dir() and run.parent.name == "runs"
    with registry.training_lock() as first:
        assert first is True
        with ModelRegistry(tmp_path / "store").training_lock() as second:
            assert second is False  # flock: one retraining at a time across processes


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    models_cli.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_models_cli_list_promote_rollback(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    shipped = fake_model(tmp_path / "shipped", "shipped-1")
    store = tmp_path / "store"
    registry = ModelRegistry(store)
    registry.add(fake_model(tmp_path / "cand", "retrained-2"))
    common = ["--store", str(store), "--model-dir", str(shipped)]

    assert _cli(["models", "list", *common]) == 0
    out = capsys.readouterr().out
    assert "no model promoted: the bot serves MODEL_DIR" in out and "retrained-2" in out

    assert _cli(["models", "promote", "retrained-2", *common]) == 0
    assert "current model: retrained-2" in capsys.readouterr().out
    assert _cli(["models", "list", "--json", *common]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["current"] == "retrained-2"
    assert listed["history"] == ["shipped-1", "retrained-2"]

    assert _cli(["models", "rollback", *common]) == 0
    assert "rolled back to shipped-1" in capsys.readouterr().out
    assert current_of(ModelRegistry(store)).version == "shipped-1"

    assert _cli(["models", "promote", "nope", *common]) == 1
    assert "no version 'nope'" in capsys.readouterr().err
    other = fake_model(tmp_path / "elsewhere", "folder-3")
    assert _cli(["models", "promote", str(other), *common]) == 0  # a folder: recorded, promoted
    assert current_of(ModelRegistry(store)).path == str(other.resolve())


def test_retrain_now_from_the_command_line(
    sqlite_url, store, tmp_path: Path, capsys, monkeypatch
) -> None:
    from datetime import UTC, datetime

    from bot.core.records import HumanLabel

    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.delenv("RETRAIN_MIN_LABELS", raising=False)

    shipped = fake_model(tmp_path / "shipped", "shipped-1")  # no training config: no data known
    for i in range(12):
        store.add_label(
            HumanLabel(
                "test", "g", f"so glad {i}", "joy", "u1", datetime.now(UTC), message_id=f"m{i}"
            )
        )
    common = [
        "--database-url",
        sqlite_url,
        "--model-dir",
        str(shipped),
        "--store",
        str(tmp_path / "store"),
        "--json",
    ]
    assert _cli(["retrain", "--now", *common]) == 0  # 12 labels < RETRAIN_MIN_LABELS
    skipped = json.loads(capsys.readouterr().out)
    assert skipped["status"] == "skipped" and "fewer than the 50 needed" in skipped["reason"]

    monkeypatch.setenv("RETRAIN_MIN_HOLDOUT", "2")  # 12 labels: enough to hold out 2
    assert _cli(["retrain", "--now", "--force", *common]) == 1
    failed = json.loads(capsys.readouterr().out)
    assert failed["status"] == "failed" and failed["failure"] == "no_data"
    # The running bot posts the queued notice to the moderators (once).
    notices = ModelRegistry(tmp_path / "store").state()["notices"]
    assert [n["posted"] for n in notices] == [False]
    assert "original training data was not found" in notices[0]["reason"]
    assert _cli(["retrain", *common]) == 2  # without --now: the weekly job does it
