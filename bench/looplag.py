"""How late the event loop wakes a 1 ms sleeper: `LoopLag`, light enough to run inside the bot
it measures (`bench.botprobe`): it imports nothing of the benchmarks' data, and keeps its samples
in arrays, not lists of floats."""

from __future__ import annotations

import asyncio
import gc
import time
from array import array

__all__ = ["LoopLag"]


class LoopLag:
    """A task that sleeps 1 ms at a time and keeps the worst oversleep: how long the event
    loop was held by something that did not yield (disk, CPU work, other threads holding the
    GIL) while it ran. The garbage collector's pauses are kept too, since they stop the loop
    whatever the code does. `woke` holds when (time.monotonic) each sample's sleep ended."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.samples = array("d")
        self.woke = array("d")
        self.gc_worst = 0.0
        self._gc_began = 0.0
        self._task: asyncio.Task[None] | None = None

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_began = time.perf_counter()
        else:
            self.gc_worst = max(self.gc_worst, time.perf_counter() - self._gc_began)

    async def _beat(self) -> None:
        while True:
            began = time.perf_counter()
            await asyncio.sleep(0.001)
            late = time.perf_counter() - began - 0.001
            self.woke.append(time.monotonic())
            self.samples.append(late)
            self.worst = max(self.worst, late)

    def start(self) -> asyncio.Task[None]:
        """Start sampling on the running loop; returns the sampling task."""
        self.worst = self.gc_worst = 0.0
        del self.samples[:], self.woke[:]
        gc.callbacks.append(self._gc)
        self._task = asyncio.get_running_loop().create_task(self._beat())
        return self._task

    async def stop(self) -> None:
        gc.callbacks.remove(self._gc)
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
