"""What the request handlers work with, opened by the app's lifespan and closed with it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from callstats.auth.login_limits import LoginLimits, PasswordChecker, parse_rate
from callstats.ingest.group_commit import GroupCommitter, GroupInsert
from callstats.metadata.store import MetadataStore
from callstats.reports.cache import ResultCache
from callstats.settings import Settings
from callstats.stores.base import Store


@dataclass
class Services:
    settings: Settings
    store: Store
    metadata: MetadataStore
    clock: Callable[[], float] = time.time
    results: ResultCache = field(default_factory=ResultCache)
    login_limits: LoginLimits = field(init=False)
    passwords: PasswordChecker = field(init=False)
    group_commit: GroupCommitter | None = field(init=False)

    def __post_init__(self) -> None:
        self.login_limits = LoginLimits(parse_rate(self.settings.login_rate),
                                        parse_rate(self.settings.login_rate_per_ip),
                                        time.monotonic)
        self.passwords = PasswordChecker()
        self.group_commit = (GroupCommitter(self.store, self.settings.max_string_length)
                             if self.settings.ingest_group_commit
                             and isinstance(self.store, GroupInsert) else None)

    @classmethod
    def open(cls, settings: Settings, clock: Callable[[], float] = time.time) -> Services:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings.ensure_jwt_secret()
        metadata = MetadataStore(settings.metadata_database_url())
        try:  # writers of a store shared by several processes take turns through it
            store = settings.open_store(writer_lock=metadata.writer_lock)
        except Exception:
            metadata.close()
            raise
        return cls(settings, store, metadata, clock)

    def close(self) -> None:
        if self.group_commit is not None:
            self.group_commit.close()
        self.passwords.close()
        self.store.close()
        self.metadata.close()
