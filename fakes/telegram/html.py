"""Telegram's HTML subset, ported from tdlib's parser, so that text the bot formats badly fails
here with the error Telegram would give (byte offsets and all) instead of in production."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from fakes.telegram.errors import entity_error

_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}

_SPACE_BYTES = frozenset(b" \t\r\n\v\0")


@dataclass
class FormattedText:
    """A message's visible text and its entities (offsets in UTF-16 units)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """The length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _decode_html_entity(data: bytes, pos: int) -> tuple[str, int] | None:
    """tdlib's decode_html_entity: the character and the position after the reference."""
    end = pos + 1
    value = 0
    if data[end : end + 1] == b"#":
        end += 1
        if data[end : end + 1] == b"x":
            end += 1
            while end < len(data) and chr(data[end]) in "0123456789abcdefABCDEF":
                value = value * 16 + int(chr(data[end]), 16)
                end += 1
        else:
            while end < len(data) and 48 <= data[end] <= 57:
                value = value * 10 + data[end] - 48
                end += 1
        if value == 0 or value >= 0x10FFFF or end - pos >= 10 or 0xD800 <= value <= 0xDFFF:
            return None
        char = chr(value)
    else:
        while end < len(data) and chr(data[end]).isascii() and chr(data[end]).isalpha():
            end += 1
        named = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}.get(data[pos + 1 : end])
        if named is None:
            return None
        char = named
    if data[end : end + 1] == b";":
        end += 1
    return char, end


def _html_entity(
    tag: str,
    argument: str,
    offset: int,
    length: int,
    inner_text: str,
    entities: list[dict[str, Any]],
) -> None:
    """Append (or merge into the previous one) the entity a closed tag produces."""
    last = entities[-1] if entities else None
    same_span = last is not None and last["offset"] == offset and last["length"] == length
    if tag in _SIMPLE_TAG_TYPES:
        entities.append({"type": _SIMPLE_TAG_TYPES[tag], "offset": offset, "length": length})
    elif tag == "a":
        url = argument or inner_text
        if "://" not in url and "." in url:
            url = f"http://{url}"
        if urlsplit(url).scheme in {"http", "https", "tg", "ton"} and " " not in url:
            entities.append({"type": "text_link", "offset": offset, "length": length, "url": url})
    elif tag == "pre":
        if same_span and last is not None and last["type"] == "code" and last.get("language"):
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif tag == "code":
        if same_span and last is not None and last["type"] == "pre" and argument:
            last["language"] = argument
        else:
            entities.append(
                {"type": "code", "offset": offset, "length": length, "language": argument}
            )
    elif tag == "blockquote":
        kind = "expandable_blockquote" if argument else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})
    elif tag == "tg-emoji" and argument.isdigit():
        entities.append(
            {
                "type": "custom_emoji",
                "offset": offset,
                "length": length,
                "custom_emoji_id": argument,
            }
        )


def _html_attribute_argument(tag: str, name: bytes, value: str, argument: str) -> str:
    """The tag argument after reading one attribute, following tdlib's rules."""
    if tag == "a" and name == b"href":
        return value
    if tag == "code" and name == b"class" and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and name == b"class" and value.startswith("tg-"):
        return value[len("tg-") :]
    if tag == "tg-emoji" and name == b"emoji-id":
        return value
    return argument


def parse_html(raw: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (plain text, entities) or raise the ``ApiError`` Telegram would.

    A port of tdlib's ``do_parse_html``, working on UTF-8 bytes so byte offsets in errors match.
    """
    data = raw.encode("utf-8")
    size = len(data)

    def at(k: int) -> int:
        return data[k] if k < size else 0

    out = bytearray()
    utf16 = 0
    entities: list[dict[str, Any]] = []
    stack: list[tuple[str, str, int, int]] = []
    i = 0
    while i < size:
        c = data[i]
        if c == ord("&"):
            decoded = _decode_html_entity(data, i)
            if decoded is not None:
                out += decoded[0].encode("utf-8")
                utf16 += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict_ampersand:
                raise entity_error(f'Unescaped "&" at byte offset {i}')
        if c != ord("<"):
            out.append(c)
            if c & 0xC0 != 0x80:
                utf16 += 2 if c >= 0xF0 else 1
            i += 1
            continue
        begin = i
        i += 1
        if at(i) != ord("/"):
            while at(i) not in _SPACE_BYTES and at(i) != ord(">"):
                i += 1
            if i >= size:
                raise entity_error(f"Unclosed start tag at byte offset {begin}")
            tag = data[begin + 1 : i].decode("utf-8", "replace").lower()
            if tag not in _HTML_TAGS:
                raise entity_error(f'Unsupported start tag "{tag}" at byte offset {begin}')
            argument = ""
            while at(i) != ord(">"):
                while i < size and at(i) in _SPACE_BYTES:
                    i += 1
                if at(i) == ord(">"):
                    break
                name_begin = i
                while at(i) not in _SPACE_BYTES and at(i) not in b"=>":
                    i += 1
                name = data[name_begin:i]
                if not name:
                    raise entity_error(
                        f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                    )
                while i < size and at(i) in _SPACE_BYTES:
                    i += 1
                if at(i) != ord("="):
                    if tag == "blockquote" and name == b"expandable":
                        argument = "1"
                        continue
                    raise entity_error(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {begin}'
                    )
                i += 1
                while i < size and at(i) in _SPACE_BYTES:
                    i += 1
                if i >= size:
                    raise entity_error(f'Unclosed start tag "{tag}" at byte offset {begin}')
                if at(i) not in b"'\"":
                    token_begin = i
                    while chr(at(i)).isascii() and (chr(at(i)).isalnum() or at(i) in b".-"):
                        i += 1
                    value = data[token_begin:i].decode("ascii").lower()
                    if at(i) not in _SPACE_BYTES and at(i) != ord(">"):
                        raise entity_error(
                            f"Unexpected end of name token at byte offset {token_begin}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    buf = bytearray()
                    while i < size and at(i) != quote:
                        decoded = _decode_html_entity(data, i) if at(i) == ord("&") else None
                        if decoded is not None:
                            buf += decoded[0].encode("utf-8")
                            i = decoded[1]
                            continue
                        buf.append(at(i))
                        i += 1
                    if at(i) == quote:
                        i += 1
                    value = buf.decode("utf-8", "replace")
                if i >= size:
                    raise entity_error(f"Unclosed start tag at byte offset {begin}")
                argument = _html_attribute_argument(tag, name, value, argument)
            if tag == "span" and argument != "spoiler":
                raise entity_error(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
                )
            stack.append((tag, argument, utf16, len(out)))
        else:
            if not stack:
                raise entity_error(f"Unexpected end tag at byte offset {begin}")
            while at(i) not in _SPACE_BYTES and at(i) != ord(">"):
                i += 1
            end_name = data[begin + 2 : i].decode("utf-8", "replace")
            while i < size and at(i) in _SPACE_BYTES:
                i += 1
            if at(i) != ord(">"):
                raise entity_error(f"Unclosed end tag at byte offset {begin}")
            tag, argument, start16, start_byte = stack.pop()
            if end_name and end_name != tag:
                raise entity_error(
                    f'Unmatched end tag at byte offset {begin}, expected "</{tag}>", '
                    f'found "</{end_name}>"'
                )
            if utf16 > start16:
                inner = out[start_byte:].decode("utf-8")
                _html_entity(tag, argument, start16, utf16 - start16, inner, entities)
        i += 1
    if stack:
        raise entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for entity in entities:
        if entity["type"] == "code" or not entity.get("language"):
            entity.pop("language", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return out.decode("utf-8"), entities


def trim(text: str, entities: list[dict[str, Any]]) -> FormattedText:
    """Strip surrounding whitespace like Telegram, clipping entities to what remains."""
    stripped = text.strip()
    if not stripped:
        return FormattedText("")
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(0, entity["offset"] - shift)
        end = min(total, entity["offset"] + entity["length"] - shift)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return FormattedText(stripped, kept)
