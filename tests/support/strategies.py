"""Hypothesis strategies for customer API requests: every spelling of a time SPEC 4.2
allows, filter params with values that do and do not occur in the data."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import strategies as st

from tests.support.api_reference import FilterParam
from tests.support.times import SECOND, utc

ZONES = [None, "UTC", "Europe/Berlin", "Asia/Kolkata", "America/New_York"]
OFFSET_MINUTES = [0, 0, 330, -240, 120, -570, 60]


@st.composite
def time_text(draw: st.DrawFn, micros: int) -> str:
    """`micros` spelled any way SPEC 4.2 accepts, with the same meaning."""
    style = draw(st.sampled_from(["Z", "colon", "compact", "space", "none", "date"]))
    offset = 0 if style in ("Z", "none", "date") else draw(st.sampled_from(OFFSET_MINUTES))
    if style == "space" and offset < 0:
        offset = -offset
    moment = utc(micros) + timedelta(minutes=offset)
    if style == "date" and moment.time() == moment.time().min:
        return moment.strftime("%Y-%m-%d")
    text = moment.strftime("%Y-%m-%d") + draw(st.sampled_from("T ")) + moment.strftime("%H:%M:%S")
    fraction = f"{moment.microsecond:06d}"
    if moment.microsecond or draw(st.booleans()):
        trim = draw(st.sampled_from(["keep", "trim", "longer"]))
        if trim == "trim":
            fraction = fraction.rstrip("0") or "0"
        elif trim == "longer":  # beyond µs: truncated to the stored precision
            fraction += draw(st.sampled_from(["0", "999", "0000001"]))
        text += "." + fraction
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset), 60)
    if style == "Z":
        return text + "Z"
    if style == "colon":
        return text + f"{sign}{hours:02d}:{minutes:02d}"
    if style == "compact":
        return text + f"{sign}{hours:02d}{minutes:02d}"
    if style == "space":  # a client that did not encode "+"
        return text + f" {hours:02d}:{minutes:02d}"
    return text


def mostly(value: int, others: st.SearchStrategy[int]) -> st.SearchStrategy[int]:
    """`value` three times in four, else one of `others`."""
    return st.tuples(st.integers(0, 3), others).map(lambda p: value if p[0] else p[1])


def instants(times: list[int], anchors: list[int], start: int, end: int, now: int
             ) -> st.SearchStrategy[int]:
    """Instants on data (±1 µs), near interesting moments, anywhere, or in the future."""
    return st.one_of(
        st.sampled_from(times).flatmap(lambda t: st.sampled_from([t, t - 1, t + 1])),
        st.sampled_from(anchors).flatmap(
            lambda a: st.integers(-3 * 86400, 3 * 86400).map(lambda s: a + s * SECOND)),
        st.integers(start - 5 * 86400 * SECOND, end),
        st.integers(now, now + 400 * 86400 * SECOND),
    )


def _substrings(texts: list[str]) -> st.SearchStrategy[str]:
    def cut(text: str) -> st.SearchStrategy[str]:
        return st.tuples(st.integers(0, len(text)), st.integers(0, len(text))).map(
            lambda ij: text[min(ij):max(ij)])

    return st.sampled_from(texts).flatmap(cut)


def text_values(texts: list[str]) -> st.SearchStrategy[str]:
    present = [t for t in texts if t]
    return st.one_of(
        st.sampled_from(present),
        st.sampled_from(present),
        _substrings(present),
        _substrings(present).map(str.swapcase),
        st.text(alphabet="4%_\\'\"aÄäbBcCx1; ", min_size=1, max_size=4),
    ).filter(bool)


def decimal_text(value: Decimal) -> str:
    text = format(value, "f")
    return text


@st.composite
def filter_value(draw: st.DrawFn, param: FilterParam, texts: list[str], ints: list[int],
                 decimals: list[Decimal]) -> tuple[str, object]:
    """(query-string value, the value it means)."""
    if param.kind == "text":
        value = draw(text_values(texts))
        return value, value
    if param.kind == "bool":
        flag = draw(st.booleans())
        return ("true" if flag else "false"), flag
    if param.kind == "int":
        number = draw(st.one_of(st.sampled_from(ints), st.integers(-(2**63), 2**63 - 1)))
        return str(number), number
    number = draw(st.one_of(
        st.sampled_from(decimals),
        st.decimals(-1000, 1000, places=draw(st.integers(0, 8)), allow_nan=False,
                    allow_infinity=False)))
    text = decimal_text(number)
    if draw(st.booleans()) and "." in text:
        text += "00"  # trailing zeros change nothing
    return text, Decimal(text)


@st.composite
def filters(draw: st.DrawFn, params: list[FilterParam], texts: list[str], ints: list[int],
            decimals: list[Decimal], max_size: int = 2) -> list[tuple[FilterParam, str, object]]:
    size = draw(st.sampled_from([0, 0, 1, 1, 1, max_size]))
    chosen = draw(st.lists(st.sampled_from(params), min_size=size, max_size=size,
                           unique_by=lambda p: p.name))
    return [(p, *draw(filter_value(p, texts, ints, decimals))) for p in chosen]


@st.composite
def bounds(draw: st.DrawFn, moments: st.SearchStrategy[int], spans: list[int]
           ) -> tuple[int, int | None, list[tuple[str, str]]]:
    """from, to (None: absent) and their params in some spelling."""
    start = draw(moments)
    end = draw(st.one_of(
        st.none(), moments.filter(lambda t: t >= start),
        st.sampled_from(spans).flatmap(lambda s: st.integers(-s // 20, s)).map(
            lambda d: start + d * SECOND)))
    params = [("from-time", draw(time_text(start)))]
    if end is not None:
        params.append(("to-time", draw(time_text(end))))
    elif draw(st.booleans()):
        params.append(("to-time", ""))  # empty optional: absent
    return start, end, params


def filter_params(chosen: list[tuple[FilterParam, str, object]]
                  ) -> tuple[list[tuple[str, str]], list[tuple[str, str, object]]]:
    """The query params of drawn filters, and the reference's (column, op, value)."""
    return ([(p.name, text) for p, text, _ in chosen],
            [(p.column, p.op, value) for p, _, value in chosen])
