"""Which value of a JSON text holds a given character: how an error in a line of NDJSON
(a bad byte, a bare NaN, a number out of range) is pinned to its field.

Only ever run on a document already known to be wrong, so it favours being obviously
right over speed; it reads the text up to the position and no further, and so copes
with whatever broken JSON follows.
"""

from __future__ import annotations

import re

Path = tuple[str | int, ...]

_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*(?:"|\Z)'  # a string (or the rest of an unterminated one)
    r"|[{}\[\]:,]"
    r'|[^\s"{}\[\]:,]+'  # a number, true, false, null, NaN, garbage
    r"|\s+"
    r"|.",
    re.DOTALL,
)


def path_at(text: str, position: int) -> Path | None:
    """The keys and indices from the root down to the value holding `position` (`()` for
    the root itself); None when it falls on a key or between an object's members."""
    frames: list[_Frame] = []
    for match in _TOKEN.finditer(text):
        if match.start() > position:
            break
        token = match.group()
        here = match.end() > position  # this token holds the position
        if token.isspace():
            if here:
                break
            continue
        top = frames[-1] if frames else None
        if top is not None and top.is_object and not top.in_value:
            if here:
                return None
            if token.startswith('"'):
                top.key = _key(token)
            elif token == ":":
                top.in_value = True
            elif token == "}":
                frames.pop()
                _value_ended(frames)
            continue
        if here:
            return _path(frames[:-1] if token in "]}" else frames)
        if token in "{[":
            frames.append(_Frame(token == "{"))
        elif token in "]}":
            if frames:
                frames.pop()
            _value_ended(frames)
        elif token == "," and top is not None:
            top.index += 1
        else:
            _value_ended(frames)
    return _path(frames)


class _Frame:
    """An open object (its current key, and whether its value is being read) or array
    (the index of the element being read)."""

    def __init__(self, is_object: bool):
        self.is_object = is_object
        self.in_value = not is_object
        self.key: str | None = None
        self.index = 0

    def step(self) -> str | int | None:
        return self.key if self.is_object else self.index


def _value_ended(frames: list[_Frame]) -> None:
    """A member's value ended: its object now expects `,` and then a key."""
    if frames and frames[-1].is_object:
        frames[-1].in_value = False


def _path(frames: list[_Frame]) -> Path | None:
    if frames and frames[-1].is_object and not frames[-1].in_value:
        return None
    steps = [frame.step() for frame in frames]
    return tuple(step for step in steps if step is not None)


def _key(token: str) -> str:
    import orjson

    try:
        return str(orjson.loads(token.encode()))
    except orjson.JSONDecodeError:
        return token.strip('"')
