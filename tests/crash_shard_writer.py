"""Saves one chat over and over until killed: `python -m tests.crash_shard_writer DIR`.

Save `n` sets the title of chat 42 (shard `2a.json`) to `n`, carrying on from the stored title,
so after a SIGKILL the shard and its previous copy tell which saves reached the disk. "ready" is
printed once the previous copy holds the chat too.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.store import Chat, Store

CHAT = 42


async def main(folder: Path) -> None:
    store = Store.open(folder)
    stored = store.chats.get(CHAT)
    first = save = int(stored.title) if stored else 0
    while True:
        save += 1
        await store.chats.save(Chat(chat_id=CHAT, title=str(save)))
        if save == first + 2:
            print("ready", flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
