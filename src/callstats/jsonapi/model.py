"""A resource declared as data: its type, path, id and a table of attributes. Which
filters, sorts and sparse fields a request may name, and how records are written, all
follow from the table."""

from __future__ import annotations

from dataclasses import dataclass

from callstats.jsonapi.types import AttrType


def dasherize(name: str) -> str:
    return name.replace("_", "-")


@dataclass(frozen=True)
class Attribute:
    name: str  # snake_case; documents write it dasherized
    type: AttrType
    column: str | None = None  # the stored column (default: the name); None: `constant`
    filterable: bool = True
    sortable: bool = True
    shown: bool = True  # False: a filter only (a CDR's `id`, `account_id`)
    writable: bool = False  # a create body may set it
    constant: object = None  # the value of an attribute nothing stores (`rec`)

    @property
    def key(self) -> str:
        return dasherize(self.name)

    @property
    def stored(self) -> str | None:
        return self.column or (self.name if self.constant is None else None)


@dataclass(frozen=True)
class DefaultWindow:
    """Without a filter on `attribute` by one of `unless` ops, a list reads only the
    last `seconds` (yeti's CDR lists: `time_start_gteq` = now - 24 h)."""

    attribute: str
    seconds: int
    unless: tuple[str, ...] = ("gt", "gteq", "eq")


@dataclass(frozen=True)
class Resource:
    type: str  # the JSON:API type, also the path under the API base
    summary: str
    id_type: AttrType
    id_column: str  # the stored column behind `id` (and the tie-break of every sort)
    attributes: tuple[Attribute, ...]
    default_sort: str  # an attribute name, "-" first for descending
    account_column: str | None = None  # set: `relationships.account` names its account
    default_window: DefaultWindow | None = None

    @property
    def path(self) -> str:
        return f"/{self.type}"

    @property
    def shown(self) -> tuple[Attribute, ...]:
        return tuple(a for a in self.attributes if a.shown)

    @property
    def filterable(self) -> dict[str, Attribute]:
        return {a.name: a for a in self.attributes if a.filterable and a.type.ops}

    @property
    def sortable(self) -> dict[str, Attribute]:
        return {a.name: a for a in self.attributes if a.sortable and a.shown}

    @property
    def writable(self) -> dict[str, Attribute]:
        return {a.name: a for a in self.attributes if a.writable}

    def attribute(self, name: str) -> Attribute:
        return next(a for a in self.attributes if a.name == name)
