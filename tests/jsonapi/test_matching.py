"""Filters and sort over records in memory (the accounts; the reference for the stores): one
case per operator and type, NULL matching nothing, `cont` lower-casing as str.lower, values
literal, decimals exact, NULL ordering and ties by id in the sort's direction."""

from __future__ import annotations

from decimal import Decimal

import pytest

from callstats.jsonapi.matching import matches, ordered, select
from callstats.queries import Filter, Op, SortKey

T0 = 1_717_000_000_000_000

# (value stored, op, filter value, matches?)
CASES = [
    (5, Op.EQ, 5, True), (5, Op.EQ, 6, False), (5, Op.NOT_EQ, 6, True), (5, Op.NOT_EQ, 5, False),
    (5, Op.GT, 5, False), (5, Op.GT, 4, True), (5, Op.GTEQ, 5, True), (5, Op.GTEQ, 6, False),
    (5, Op.LT, 5, False), (5, Op.LT, 6, True), (5, Op.LTEQ, 5, True), (5, Op.LTEQ, 4, False),
    (5, Op.IN, (1, 5), True), (5, Op.IN, (1,), False), (5, Op.NOT_IN, (1,), True),
    (5, Op.NOT_IN, (5, 1), False),
    (Decimal("0.100"), Op.EQ, Decimal("0.1"), True),
    (Decimal("0.1"), Op.EQ, Decimal("0.10000000001"), False),  # never rounded to a scale
    (Decimal("0.1"), Op.GT, Decimal("0.0999999999999"), True),
    (Decimal("2.5"), Op.IN, (Decimal("2.50"),), True),
    (T0, Op.GTEQ, T0, True), (T0, Op.GT, T0, False), (T0 + 1, Op.GT, T0, True),
    ("4930", Op.EQ, "4930", True), ("4930", Op.EQ, "4930 ", False),
    ("Abc", Op.EQ, "abc", False),  # case-sensitive
    ("Abc", Op.NOT_EQ, "abc", True),
    ("Abc", Op.STARTS_WITH, "Ab", True), ("Abc", Op.STARTS_WITH, "ab", False),
    ("Abc", Op.ENDS_WITH, "bc", True), ("Abc", Op.ENDS_WITH, "BC", False),
    ("Abc", Op.CONTAINS, "BC", True), ("Abc", Op.CONTAINS, "x", False),
    ("İstanbul", Op.CONTAINS, "i̇st", True),  # Python's full lowercase mapping: İ → i̇
    ("İstanbul", Op.CONTAINS, "ist", False),
    ("ΟΔΟΣ", Op.CONTAINS, "οδος", True),  # str.lower: σ, not the final ς
    ("50%_off", Op.CONTAINS, "%_", True), ("50 off", Op.CONTAINS, "%", False),  # literal
    ("a\\b", Op.STARTS_WITH, "a\\", True), ("a'b", Op.EQ, "a'b", True),
    ("Abc", Op.CONTAINS_ANY, ("zz", "BC"), True), ("Abc", Op.CONTAINS_ANY, ("zz",), False),
    ("x", Op.IN, ("x", "y"), True), ("x", Op.NOT_IN, ("y",), True), ("x", Op.NOT_IN, ("x",), False),
    (True, Op.EQ, True, True), (True, Op.EQ, False, False), (False, Op.NOT_EQ, True, True),
    ("7a7a7a7a-0000-4000-8000-000000000001", Op.EQ, "7a7a7a7a-0000-4000-8000-000000000001",
     True),
]


@pytest.mark.parametrize(("stored", "op", "value", "expected"), CASES)
def test_each_operator(stored: object, op: Op, value: object, expected: bool) -> None:
    assert matches({"c": stored}, [Filter("c", op, value)]) is expected


@pytest.mark.parametrize("op", [op for op in Op if op is not Op.IS_NULL])
def test_null_matches_no_filter(op: Op) -> None:
    value: object = ("x",) if op in (Op.IN, Op.NOT_IN, Op.CONTAINS_ANY) else "x"
    assert not matches({"c": None}, [Filter("c", op, value)])
    assert not matches({}, [Filter("c", op, value)])


def test_is_null() -> None:
    assert matches({"c": None}, [Filter("c", Op.IS_NULL, True)])
    assert not matches({"c": 1}, [Filter("c", Op.IS_NULL, True)])
    assert matches({"c": 1}, [Filter("c", Op.IS_NULL, False)])


def test_every_filter_must_hold() -> None:
    record = {"a": 1, "b": "x"}
    assert matches(record, [Filter("a", Op.EQ, 1), Filter("b", Op.EQ, "x")])
    assert not matches(record, [Filter("a", Op.EQ, 1), Filter("b", Op.EQ, "y")])
    assert matches(record, [])


RECORDS = [{"id": 3, "v": "b"}, {"id": 1, "v": None}, {"id": 2, "v": "b"}, {"id": 4, "v": "a"},
           {"id": 5, "v": None}]


def test_ascending_null_last_ties_by_id() -> None:
    assert [r["id"] for r in ordered(RECORDS, SortKey("v"), "id")] == [4, 2, 3, 1, 5]


def test_descending_null_first_ties_by_id_descending() -> None:
    assert [r["id"] for r in ordered(RECORDS, SortKey("v", True), "id")] == [5, 1, 3, 2, 4]


def test_code_point_order() -> None:
    names = [{"id": i, "v": v} for i, v in enumerate(["b", "B", "é", "a", "Z", "aa"])]
    assert [r["v"] for r in ordered(names, SortKey("v"), "id")] == ["B", "Z", "a", "aa", "b", "é"]


def test_select_filters_then_orders() -> None:
    chosen = select(RECORDS, [Filter("v", Op.NOT_EQ, "a")], SortKey("id", True), "id")
    assert [r["id"] for r in chosen] == [3, 2]
