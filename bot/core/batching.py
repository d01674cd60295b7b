"""Classification off the event loop, with concurrent requests grouped into one ``predict`` call.

One worker task per event loop takes whatever is queued (up to ``max_batch`` texts; optionally
waiting ``wait_s`` for more), runs the classifier in a thread, and resolves each caller's future.
While one batch runs, new messages queue up and form the next batch, so under load batches grow
by themselves without adding latency when the bot is idle.

Commands first: a text sent with ``urgent=True`` (a person waiting for an ``/emotion`` answer,
see :mod:`bot.core.lanes`) goes into the next batch ahead of every queued message.

Failures: a failing batch is retried once; if it fails again every text is tried on its own so one
bad text cannot fail its neighbours; a text that still fails raises :class:`ClassificationError`
to its caller. The classifier is read once per batch through ``get_classifier``, which makes a
model swap atomic: a batch runs entirely on the old model or entirely on the new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable

from bot.core.ports import Classifier
from classifier.prediction import Prediction

logger = logging.getLogger(__name__)


class ClassificationError(RuntimeError):
    """The classifier failed for this text (after a retry)."""


_Live = tuple[str, "asyncio.Future[Prediction]"]
_Item = tuple[str, "asyncio.Future[Prediction] | None"]
_WAKE: _Item = ("", None)  # wakes an idle worker for an urgent text; never classified


class Batcher:
    """Group concurrent ``predict`` requests into batches run in a worker thread."""

    def __init__(
        self, get_classifier: Callable[[], Classifier], *, max_batch: int = 32, wait_s: float = 0.0
    ) -> None:
        self._get = get_classifier
        self.max_batch = max(1, max_batch)
        self.wait_s = max(0.0, wait_s)
        self._queue: asyncio.Queue[_Item] | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._urgent: deque[_Live] = deque()  # taken before the queue; a wake-up item is queued
        self.batches = 0  # statistics (the benchmark reports them)
        self.texts = 0

    def _ensure_worker(self) -> asyncio.Queue[_Item]:
        loop = asyncio.get_running_loop()
        if self._queue is None or self._loop is not loop or self._task is None or self._task.done():
            self._loop = loop
            self._queue = asyncio.Queue()
            self._task = loop.create_task(self._work(self._queue), name="emotion-batcher")
        return self._queue

    async def predict(self, text: str, *, urgent: bool = False) -> Prediction:
        """Classify one text (queued with any concurrent ones; ``urgent``: ahead of them)."""
        future: asyncio.Future[Prediction] = asyncio.get_running_loop().create_future()
        queue = self._ensure_worker()
        if urgent:
            self._urgent.append((text, future))
            queue.put_nowait(_WAKE)  # an idle worker waits on the queue
        else:
            queue.put_nowait((text, future))
        return await future

    async def predict_many(self, texts: list[str]) -> list[Prediction]:
        return list(await asyncio.gather(*(self.predict(t) for t in texts)))

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await task

    async def _work(self, queue: asyncio.Queue[_Item]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await queue.get()]
            deadline = loop.time() + self.wait_s
            while len(batch) < self.max_batch:
                if self._urgent:  # commands go before the queued messages
                    batch.insert(0, self._urgent.popleft())
                    continue
                if not queue.empty():
                    batch.append(queue.get_nowait())
                    continue
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(queue.get(), remaining))
                except TimeoutError:
                    break
            while self._urgent:  # a full batch still takes every waiting command
                batch.insert(0, self._urgent.popleft())
            live: list[_Live] = [(t, f) for t, f in batch if f is not None and not f.done()]
            if live:
                await self._run(live)

    async def _run(self, batch: list[_Live]) -> None:
        classifier = self._get()
        texts = [t for t, _ in batch]
        self.batches += 1
        self.texts += len(texts)
        for attempt in (1, 2):
            try:
                preds = await asyncio.to_thread(classifier.predict, texts)
                if len(preds) != len(texts):
                    raise RuntimeError(f"classifier returned {len(preds)} for {len(texts)} texts")
            except Exception:
                logger.warning(
                    "classifier failed on a batch of %d (attempt %d)",
                    len(texts),
                    attempt,
                    exc_info=attempt == 2,
                )
                continue
            for (_, future), pred in zip(batch, preds, strict=True):
                if not future.done():
                    future.set_result(pred)
            return
        if len(batch) == 1:
            _, future = batch[0]
            if not future.done():
                future.set_exception(ClassificationError("classifier failed twice"))
            return
        for item in batch:  # isolate the text(s) that fail
            await self._run([item])
