"""A web page's story text, pulled out in the CPU worker (`watchers.article` fetches the page).

Apart from the fetching so that the worker, which runs this, loads no HTTP client.
"""

from __future__ import annotations

import logging

__all__ = ["extract_article"]

logger = logging.getLogger(__name__)


def extract_article(html: str | bytes, url: str | None = None) -> str:
    """Return the main text of an HTML page, paragraphs separated by blank lines, or "".

    Precision is favoured over recall: a summary built from navigation, comments or a table of
    share prices is worse than none, so doubtful blocks are left out. Trafilatura is imported
    here: only the CPU worker (`watchers.cpu`) extracts, and the bot's process need not hold it.
    """
    import trafilatura

    try:
        text = trafilatura.extract(
            html,
            url=url,
            favor_precision=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            include_links=False,
            output_format="txt",
        )
    except Exception as exc:  # noqa: BLE001 -- any parser failure on a hostile page means "no text"
        logger.warning("article extraction failed for %s: %r", url, exc)
        return ""
    if not text:
        return ""
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())
