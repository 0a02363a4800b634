"""One worker thread for the poll path's CPU-heavy steps (parsing, cleaning, matching, summaries).

Under the GIL, Python work in threads does not run in parallel; it only takes turns with the
event loop. With one thread per concurrent poll (asyncio's default pool has six), the loop
waited its turn behind all of them and command replies stalled for 100 ms and more while a
busy cycle ran. In one lane the CPU work takes the same total time, and the loop competes with
one thread instead of six (with the store's threads, it still waits up to ~100 ms in a busy
cycle on two cores: see README, Performance).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

__all__ = ["on_cpu"]

P = ParamSpec("P")
T = TypeVar("T")

_LANE = ThreadPoolExecutor(1, thread_name_prefix="newswatch-cpu")


async def on_cpu(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`asyncio.to_thread`, in the one CPU lane."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_LANE, functools.partial(func, *args, **kwargs))
