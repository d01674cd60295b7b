"""Scheduled jobs: weekly mood summaries, retraining on human labels, retention.

Wiring (the composition root, :mod:`bot.app`)::

    runtime = JobRuntime(service=service, options=job_options(settings),
                         default_model_dir=model_dir, notifiers={"console": console},
                         communities=store.communities,
                         channel_names=store.channel_names)
    scheduler = BotScheduler(runtime, engine=make_engine(settings.database_url))
    await scheduler.start()  # in the running event loop
    ...
    scheduler.shutdown()

Training never runs in the bot's process: :mod:`bot.jobs.retrain` starts ``python -m train`` as
a niced child process. Nothing here imports ``train`` or torch.
"""

from bot.jobs.notify import ModeratorNotifier
from bot.jobs.options import JobOptions, RetrainOptions, job_options
from bot.jobs.retrain import Retrainer, RetrainOutcome
from bot.jobs.runtime import JobRuntime
from bot.jobs.scheduler import BotScheduler

__all__ = [
    "BotScheduler",
    "JobOptions",
    "JobRuntime",
    "ModeratorNotifier",
    "RetrainOptions",
    "RetrainOutcome",
    "Retrainer",
    "job_options",
]
