"""The command lane: a person waiting for an ``/emotion`` answer goes before the message queue.

During a flood, hundreds of messages wait for the classifier and for the store thread. A command
run inside :func:`command_lane` (every ``/emotion`` command, see ``bot.core.commands.dispatch``)
has its text classified ahead of queued messages (``Batcher.predict(urgent=True)``) and its store
calls run on a thread of their own (``Deps.db``), so its answer does not wait for the flood. The
lane is a context variable: it follows the command into everything it awaits, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_in_command: ContextVar[bool] = ContextVar("emotion_bot_command_lane", default=False)


def in_command_lane() -> bool:
    return _in_command.get()


@contextmanager
def command_lane() -> Iterator[None]:
    token = _in_command.set(True)
    try:
        yield
    finally:
        _in_command.reset(token)
