"""Stage 4, distress: every message is assessed (:mod:`bot.core.distress.detector`: phrases,
the model's risk score and the exemplar matcher, at the community's sensitivity); a medium or
high level goes to the flag desk (:mod:`bot.core.distress.desk`), which decides, per member,
whether the moderators get a flag or an update of an open one."""

from __future__ import annotations

import logging

from bot.core.deps import Deps
from bot.core.distress import community, desk, detector
from bot.core.events import Action, ChatMessage
from classifier.prediction import Prediction

logger = logging.getLogger(__name__)


async def check(
    deps: Deps, msg: ChatMessage, prediction: Prediction
) -> tuple[list[Action], detector.Assessment]:
    """The actions for the moderators (a flag or an update), and the assessment itself."""
    settings = await deps.community_settings(msg.channel.community)
    sensitivity = settings.distress_sensitivity or deps.options.distress_sensitivity
    matcher, meta, memo = deps.distress_model()
    thresholds = memo.get(sensitivity)
    if thresholds is None:  # once per model and sensitivity, not per message
        thresholds = memo[sensitivity] = detector.Thresholds.from_meta(meta, sensitivity)
    # with the exemplars this community's moderators added from reviewed flags
    result = await community.assess(deps, msg, prediction, matcher, thresholds)
    if result.harassment:
        deps.stats["distress_aimed_at_others"] += 1
    if not result.at_least("medium"):
        return [], result
    return await desk.raise_flag(deps, msg, result), result
