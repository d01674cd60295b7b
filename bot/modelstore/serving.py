"""Which model serves: the models store's current version once one has been promoted, else
``MODEL_DIR`` (a relative one looked up in the working directory, then in the checkout)."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.config import REPO_ROOT, Settings
from bot.modelstore.registry import ModelRegistry
from classifier.artifact import ModelLoadError, read_artifact
from classifier.scheme import LabelScheme, goemotions_scheme

logger = logging.getLogger(__name__)


def resolve_model_dir(model_dir: Path) -> Path:
    """A relative MODEL_DIR is looked up in the working directory, then in the checkout."""
    if model_dir.is_absolute() or model_dir.exists():
        return model_dir
    in_repo = REPO_ROOT / model_dir
    return in_repo if in_repo.exists() else model_dir


def registry_for(settings: Settings) -> ModelRegistry:
    """The models store of these settings (``MODELS_STORE``, ``MODELS_KEEP``)."""
    return ModelRegistry(Path(settings.models_store), keep=settings.models_keep)


def serving_model_dir(settings: Settings) -> Path:
    """The model to serve: the models store's current version once one has been promoted
    (retraining, ``emotion-bot models promote``), else ``MODEL_DIR``."""
    default = resolve_model_dir(settings.model_dir)
    folder = registry_for(settings).current_dir(default)
    if folder != default:
        logger.info("serving %s from the models store (MODEL_DIR is %s)", folder, default)
    return folder


def serving_scheme(settings: Settings) -> LabelScheme:
    """The serving model's scheme (labels.json only: the model is not loaded)."""
    folder = registry_for(settings).current_dir(resolve_model_dir(settings.model_dir))
    try:
        return read_artifact(folder).scheme
    except ModelLoadError as exc:
        logger.warning("%s; using the GoEmotions labels", exc)
        return goemotions_scheme()
