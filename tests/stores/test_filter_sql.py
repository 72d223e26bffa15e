"""The one operator table (stores/filters.py), one test per operator and per engine: the
condition it writes, run against the real DuckDB and ClickHouse (chdb) engines over rows of
every column kind, NULLs included, must select exactly the rows a plain-Python predicate
selects. Values are literal and bound; a NULL never matches, `not_eq`/`not_in` included."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from callstats.columns import Column, Kind
from callstats.queries import Filter, Op
from callstats.stores.clickhouse_store import ClickHouseStore
from callstats.stores.filters import condition
from callstats.stores.shadows import lower_shadow
from callstats.stores.sql import DUCKDB, ClickHouseDialect, Dialect, Statement
from tests.support.stores import StoreUrls

COLUMNS = {c.name: c for c in (
    Column("n", Kind.INT), Column("p", Kind.DEC, scale=6), Column("s", Kind.STR),
    Column("t", Kind.TS), Column("b", Kind.BOOL))}
ROWS: list[dict[str, object]] = [
    {"id": 1, "n": 0, "p": Decimal("0.5"), "s": "abc", "t": 0, "b": True},
    {"id": 2, "n": -5, "p": Decimal("-1.000001"), "s": "100%", "t": -60_000_000, "b": False},
    {"id": 3, "n": 7, "p": Decimal("123456789012.123456"), "s": "a_c", "t": 1_700_000_000_000_000,
     "b": True},
    {"id": 4, "n": None, "p": None, "s": None, "t": None, "b": None},
    {"id": 5, "n": 2**63 - 1, "p": Decimal("0"), "s": "İstanbul", "t": 123, "b": False},
    {"id": 6, "n": -(2**63), "p": Decimal("0.000001"), "s": "ΟΔΟΣ it's", "t": 1, "b": True},
    {"id": 7, "n": 3, "p": Decimal("2.5"), "s": "a\\b'%", "t": 86_400_000_000, "b": False},
    {"id": 8, "n": 4, "p": Decimal("3"), "s": "", "t": 2, "b": True},
]


def _python(op: Op, value: object) -> Callable[[object], bool]:
    def lower_in(needle: object, text: object) -> bool:
        return str(needle).lower() in str(text).lower()

    tests: dict[Op, Callable[[object], bool]] = {
        Op.EQ: lambda x: x == value,
        Op.NOT_EQ: lambda x: x != value,
        Op.GT: lambda x: x > value,  # type: ignore[operator]
        Op.GTEQ: lambda x: x >= value,  # type: ignore[operator]
        Op.LT: lambda x: x < value,  # type: ignore[operator]
        Op.LTEQ: lambda x: x <= value,  # type: ignore[operator]
        Op.IN: lambda x: x in value,  # type: ignore[operator]
        Op.NOT_IN: lambda x: x not in value,  # type: ignore[operator]
        Op.STARTS_WITH: lambda x: str(x).startswith(str(value)),
        Op.ENDS_WITH: lambda x: str(x).endswith(str(value)),
        Op.CONTAINS: lambda x: lower_in(value, x),
        Op.CONTAINS_ANY: lambda x: any(lower_in(v, x) for v in value),  # type: ignore[attr-defined]
    }
    test = tests[op]
    return lambda x: x is not None and test(x)


CASES: list[tuple[str, Op, object]] = [
    *((c, op, v) for c, v in (("n", 0), ("n", -5), ("n", 2**63 - 1), ("n", -(2**63)))
      for op in (Op.EQ, Op.NOT_EQ, Op.GT, Op.GTEQ, Op.LT, Op.LTEQ)),
    *(("p", op, Decimal(v)) for v in ("0.5", "0.50", "-1.0000005", "2.4999999", "3", "0.0000001",
                                      "1" + "0" * 30, "-0.000001")
      for op in (Op.EQ, Op.NOT_EQ, Op.GT, Op.GTEQ, Op.LT, Op.LTEQ)),
    *(("t", op, v) for v in (0, -60_000_000, 2, 86_400_000_000)
      for op in (Op.EQ, Op.NOT_EQ, Op.GT, Op.GTEQ, Op.LT, Op.LTEQ)),
    *(("s", op, v) for v in ("abc", "a_c", "%", "_", "", "a\\b'%", "it's", "İstanbul")
      for op in (Op.EQ, Op.NOT_EQ, Op.STARTS_WITH, Op.ENDS_WITH)),
    *(("s", Op.CONTAINS, v) for v in ("A", "%", "_", "\\", "'", "istanbul", "i̇stanbul",
                                      "οδοσ", "οδος", "ΟΔΟΣ", "", "ABC")),
    ("s", Op.CONTAINS_ANY, ("zzz", "B")), ("s", Op.CONTAINS_ANY, ("i̇s", "%")),
    ("s", Op.CONTAINS_ANY, ()),
    ("n", Op.IN, (0, 7, 99)), ("n", Op.NOT_IN, (0, 7, 99)), ("n", Op.IN, ()),
    ("n", Op.NOT_IN, ()), ("s", Op.IN, ("abc", "", "x")), ("s", Op.NOT_IN, ("abc", "")),
    ("p", Op.IN, (Decimal("0.5"), Decimal("0.0000005"), Decimal("3.000"))),
    ("p", Op.NOT_IN, (Decimal("0.5"), Decimal("0.0000005"))),
    ("p", Op.NOT_IN, (Decimal("0.0000005"),)),
    ("t", Op.IN, (0, 2, 5)), ("t", Op.NOT_IN, (0, 2)),
    ("b", Op.EQ, True), ("b", Op.NOT_EQ, True), ("b", Op.EQ, False),
]


class Engine:
    def __init__(self, dialect: Dialect, select: Callable[[Statement], set[int]]):
        self.dialect, self.select = dialect, select


def _duckdb(tmp: Path) -> Iterator[Engine]:
    import duckdb

    con = duckdb.connect(str(tmp / "filters.duckdb"))
    con.execute("CREATE TABLE r (id BIGINT, n BIGINT, p DECIMAL(18, 6), s VARCHAR, "
                f"{lower_shadow('s')} VARCHAR, t TIMESTAMP, b BOOLEAN)")
    for row in ROWS:
        con.execute("INSERT INTO r VALUES ($id, $n, $p, $s, $sl, make_timestamp($t), $b)",
                    {**row, "sl": _shadow(row["s"])})

    def select(statement: Statement) -> set[int]:
        sql = f"SELECT id FROM r WHERE {statement.text}"
        return {i for (i,) in con.execute(sql, statement.params).fetchall()}

    yield Engine(DUCKDB, select)
    con.close()


def _clickhouse(url: str) -> Iterator[Engine]:
    store = ClickHouseStore(url)
    table = store.table("filter_rows")
    store.db.command(f"CREATE TABLE {table} (id Int64, n Nullable(Int64), p Nullable(Decimal(18, "
                     f"6)), s Nullable(String), {lower_shadow('s')} Nullable(String), "
                     "t Nullable(Int64), b Nullable(Bool)) ENGINE = MergeTree ORDER BY id")
    for row in ROWS:
        store.db.command(
            f"INSERT INTO {table} VALUES ({{id:Int64}}, {{n:Nullable(Int64)}}, "
            "{p:Nullable(Decimal(18, 6))}, {s:Nullable(String)}, {sl:Nullable(String)}, "
            "{t:Nullable(Int64)}, {b:Nullable(Bool)})", {**row, "sl": _shadow(row["s"])})

    def select(statement: Statement) -> set[int]:
        sql = f"SELECT id FROM {table} WHERE {statement.text}"
        return {int(i) for (i,) in store.db.rows(sql, statement.params)}  # type: ignore[call-overload]

    yield Engine(ClickHouseDialect(table, table, table), select)
    store.close()


def _shadow(text: object) -> str | None:
    return text.lower() if isinstance(text, str) and not text.isascii() else None


@pytest.fixture(scope="module", params=["duckdb", "chdb"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           chdb_dir: Path) -> Iterator[Engine]:
    tmp = tmp_path_factory.mktemp("filters")
    if request.param == "duckdb":
        yield from _duckdb(tmp)
    else:
        yield from _clickhouse(StoreUrls("chdb", chdb_dir)(tmp))


@pytest.mark.parametrize(("column", "op", "value"), CASES,
                         ids=[f"{c}-{op.value}-{v!r}" for c, op, v in CASES])
def test_operator_selects_what_python_selects(engine: Engine, column: str, op: Op,
                                              value: object) -> None:
    bind = engine.dialect.binder()
    text = condition(Filter(column, op, value), COLUMNS, engine.dialect, bind)
    assert all(repr(v) not in text for v in bind.params.values() if v)  # values are bound
    expected = {r["id"] for r in ROWS if _python(op, value)(r[column])}
    assert engine.select(Statement(text, bind.params)) == expected


def test_the_spellings_of_each_engine() -> None:
    def sql(d: Dialect, f: Filter) -> tuple[str, dict[str, object]]:
        bind = d.binder()
        return condition(f, COLUMNS, d, bind), bind.params

    ch = ClickHouseDialect("db.cdrs", "db.calls", "db.snapshots")
    assert sql(DUCKDB, Filter("s", Op.STARTS_WITH, "a%")) == (
        "starts_with(s, CAST($p0 AS VARCHAR))", {"p0": "a%"})
    assert sql(ch, Filter("s", Op.STARTS_WITH, "a%")) == ("startsWith(s, {p0:String})",
                                                          {"p0": "a%"})
    assert sql(DUCKDB, Filter("s", Op.CONTAINS, "ÄB")) == (
        "(contains(coalesce(s_lower, lower(s)), CAST($p0 AS VARCHAR)))", {"p0": "äb"})
    assert sql(ch, Filter("s", Op.CONTAINS, "ÄB")) == (
        "(position(coalesce(s_lower, lower(s)), {p0:String}) > 0)", {"p0": "äb"})
    assert sql(DUCKDB, Filter("t", Op.GT, 5)) == ("t > make_timestamp(CAST($p0 AS BIGINT))",
                                                  {"p0": 5})
    assert sql(ch, Filter("t", Op.GT, 5)) == ("t > {p0:Int64}", {"p0": 5})
    assert sql(ch, Filter("p", Op.LTEQ, Decimal("1.0000005"))) == (
        "p <= {p0:Decimal(38, 6)}", {"p0": Decimal("1.000000")})
    assert sql(DUCKDB, Filter("n", Op.NOT_IN, (1, 2))) == (
        "(n IS NOT NULL AND NOT (list_contains(CAST($p0 AS BIGINT[]), n)))", {"p0": [1, 2]})
    assert sql(ch, Filter("n", Op.IN, (1, 2))) == ("n IN {p0:Array(Int64)}", {"p0": [1, 2]})
    assert sql(ch, Filter("p", Op.EQ, Decimal("0.0000001"))) == ("false", {})
    assert sql(ch, Filter("s", Op.IS_NULL, True)) == ("s IS NULL", {})


def test_a_column_outside_the_table_is_refused() -> None:
    with pytest.raises(ValueError, match="not a filterable column"):
        condition(Filter("id; DROP TABLE r", Op.EQ, 1), COLUMNS, DUCKDB, DUCKDB.binder())


@pytest.mark.parametrize("texts", [[None], [None, None, None], ["a", None], ["İx", None, "b"],
                                   [], ["ΣΑΣ"]])
def test_shadow_values_are_pythons_lower_case_of_non_ascii_texts(texts: list[str | None]
                                                                 ) -> None:
    from callstats.stores.shadows import shadow_values

    values = pa.array(texts, pa.string())
    expected = [t.lower() if t is not None and not t.isascii() else None for t in texts]
    shadows = shadow_values(values)
    assert shadows.type == pa.string() and shadows.to_pylist() == expected
    assert shadow_values(pa.chunked_array([values], pa.string())).to_pylist() == expected
