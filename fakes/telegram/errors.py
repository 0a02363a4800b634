"""Telegram's error answers: the fake raises them inside a Bot API method and sends them back as
Telegram does (status, ``description``, ``parameters``), so PTB maps them to its exceptions."""

from __future__ import annotations

from typing import Any

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class ApiError(Exception):
    """A Telegram error answer; raised inside method handlers, turned into the JSON reply."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id: int | None = None

    def payload(self) -> dict[str, Any]:
        """The body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        if self.migrate_to_chat_id is not None:
            body["parameters"] = {"migrate_to_chat_id": self.migrate_to_chat_id}
        return body


def bad_request(description: str) -> ApiError:
    """A 400 ``Bad Request: description``."""
    return ApiError(400, f"Bad Request: {description}")


def entity_error(description: str) -> ApiError:
    """The 400 Telegram answers for text it cannot parse in the given parse mode."""
    return bad_request(f"can't parse entities: {description}")
