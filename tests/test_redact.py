"""Database URLs shown to a user (the admin instance endpoint, CLI messages) hide only
the password."""

from __future__ import annotations

from callstats.redact import redact_url


def test_redacted_urls_hide_only_the_password() -> None:
    assert redact_url("postgresql://app:s3cret@db.example:5432/callstats") == \
        "postgresql://app:***@db.example:5432/callstats"
    assert redact_url("clickhouses://u:p@[2001:db8::1]:8443/x") == \
        "clickhouses://u:***@[2001:db8::1]:8443/x"
    assert redact_url("sqlite:////var/lib/callstats/metadata.sqlite") == \
        "sqlite:////var/lib/callstats/metadata.sqlite"
