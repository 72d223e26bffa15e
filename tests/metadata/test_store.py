"""MetadataStore (SPEC 3.3, 6) on SQLite and on PostgreSQL: every test runs on both."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from callstats.metadata.passwords import verify_password
from callstats.metadata.store import (
    Account,
    ApiAccess,
    Conflict,
    Customer,
    InvalidValue,
    MetadataStore,
    MissingReference,
)

TOO_BIG = 2**63  # one past BIGINT


# --- customers -------------------------------------------------------------------------


def test_customers_round_trip(metadata: MetadataStore) -> None:
    first = metadata.create_customer("Acme")
    second = metadata.create_customer("Globex")
    assert isinstance(first.id, int) and second.id > first.id
    assert metadata.get_customer(first.id) == Customer(first.id, "Acme")
    assert metadata.list_customers() == [first, second]
    assert metadata.get_customer(second.id + 100) is None


def test_customer_with_explicit_id(metadata: MetadataStore) -> None:
    assert metadata.create_customer("Acme", id=7) == Customer(7, "Acme")
    assert metadata.get_customer(7) == Customer(7, "Acme")
    assert metadata.create_customer("Next").id == 8


def test_taken_customer_id_conflicts_and_stores_nothing(metadata: MetadataStore) -> None:
    metadata.create_customer("Acme", id=7)
    with pytest.raises(Conflict, match="id already taken"):
        metadata.create_customer("Other", id=7)
    assert metadata.list_customers() == [Customer(7, "Acme")]


def test_delete_customer(metadata: MetadataStore) -> None:
    customer = metadata.create_customer("Acme")
    assert metadata.delete_customer(customer.id) is True
    assert metadata.get_customer(customer.id) is None
    assert metadata.delete_customer(customer.id) is False
    assert metadata.list_customers() == []


def test_deleting_a_customer_deletes_its_accounts_and_logins_only(
    metadata: MetadataStore,
) -> None:
    gone = metadata.create_customer("Gone")
    kept = metadata.create_customer("Kept")
    gone_account = metadata.create_account(gone.id, "a")
    kept_account = metadata.create_account(kept.id, "b")
    gone_login = metadata.create_api_access(gone.id, "gone", "pw-gone", [gone_account.id])
    kept_login = metadata.create_api_access(kept.id, "kept", "pw-kept")

    assert metadata.delete_customer(gone.id)

    assert metadata.get_account(gone_account.id) is None
    assert metadata.get_api_access(gone_login.id) is None
    assert metadata.find_login("gone") is None
    assert metadata.list_accounts() == [kept_account]
    assert [a.id for a in metadata.list_api_accesses()] == [kept_login.id]


@pytest.mark.parametrize("kind", ["customer", "account", "api_access"])
def test_ids_of_deleted_rows_are_never_reused(metadata: MetadataStore, kind: str) -> None:
    """A token names its login (sub) or customer (cfg.customer_id) by id: a new row must not
    inherit the id, and so the still-valid tokens, of a deleted one."""
    owner = metadata.create_customer("Owner")
    create = {
        "customer": lambda n: metadata.create_customer(f"c{n}"),
        "account": lambda n: metadata.create_account(owner.id, f"a{n}"),
        "api_access": lambda n: metadata.create_api_access(owner.id, f"login{n}", "pw"),
    }[kind]
    delete = {"customer": metadata.delete_customer, "account": metadata.delete_account,
              "api_access": metadata.delete_api_access}[kind]
    first, last = create(1), create(2)
    assert delete(last.id)
    assert create(3).id > last.id
    assert delete(first.id)
    assert create(4).id > last.id


def test_an_explicit_id_below_the_sequence_does_not_move_it_back(
    metadata: MetadataStore,
) -> None:
    made = [metadata.create_customer(f"c{n}") for n in range(3)]
    metadata.delete_customer(made[2].id)
    metadata.delete_customer(made[1].id)
    metadata.create_customer("explicit", id=made[1].id)  # the operator's explicit choice
    assert metadata.create_customer("auto").id > made[2].id


def test_ids_out_of_range_are_absent_not_errors(metadata: MetadataStore) -> None:
    customer = metadata.create_customer("Acme")
    for big in (TOO_BIG, -TOO_BIG - 1, 10**30):
        assert metadata.get_customer(big) is None
        assert metadata.get_account(big) is None
        assert metadata.get_api_access(big) is None
        assert metadata.delete_customer(big) is False
        assert metadata.delete_account(big) is False
        assert metadata.delete_api_access(big) is False
        assert metadata.list_accounts(big) == []
        assert metadata.list_api_accesses(big) == []
        with pytest.raises(InvalidValue):
            metadata.create_customer("Big", id=big)
        with pytest.raises(InvalidValue):
            metadata.create_account(customer.id, "Big", id=big)
        with pytest.raises(MissingReference):
            metadata.create_account(big, "x")
    with pytest.raises(MissingReference):
        metadata.create_api_access(TOO_BIG, "x", "pw")
    with pytest.raises(MissingReference):
        metadata.create_api_access(customer.id, "x", "pw", [TOO_BIG])
    assert metadata.list_customers() == [customer]
    assert metadata.list_accounts() == [] and metadata.list_api_accesses() == []


def test_the_largest_bigint_id_is_storable(metadata: MetadataStore) -> None:
    customer = metadata.create_customer("Max", id=TOO_BIG - 1)
    assert metadata.get_customer(TOO_BIG - 1) == customer


def test_reopening_keeps_the_data(metadata_url: str) -> None:
    first = MetadataStore(metadata_url)
    customer = first.create_customer("Acme")
    first.close()
    again = MetadataStore(metadata_url)
    try:
        assert again.list_customers() == [customer]
        with again.engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT count(*) FROM callstats_metadata_schema"))
            assert versions.scalar() == 1
    finally:
        again.close()


def test_ping(metadata: MetadataStore) -> None:
    metadata.ping()


# --- accounts --------------------------------------------------------------------------


def test_accounts_round_trip(metadata: MetadataStore) -> None:
    acme = metadata.create_customer("Acme")
    globex = metadata.create_customer("Globex")
    a1 = metadata.create_account(acme.id, "main")
    a2 = metadata.create_account(globex.id, "other")
    a3 = metadata.create_account(acme.id, "backup")
    assert a1 == Account(a1.id, a1.uuid, acme.id, "main")
    assert metadata.get_account(a1.id) == a1
    assert metadata.list_accounts() == [a1, a2, a3]
    assert metadata.list_accounts(acme.id) == [a1, a3]
    assert metadata.list_accounts(globex.id + 100) == []


def test_generated_uuid_is_canonical_lower_case(metadata: MetadataStore) -> None:
    customer = metadata.create_customer("Acme")
    account = metadata.create_account(customer.id, "main")
    assert str(uuid.UUID(account.uuid)) == account.uuid
    assert metadata.create_account(customer.id, "two").uuid != account.uuid


@pytest.mark.parametrize("spelling", [
    "6F9619FF-8B86-D011-B42D-00C04FC964FF",
    "{6f9619ff-8b86-d011-b42d-00c04fc964ff}",
    "6F9619FF8B86D011B42D00C04FC964FF",
    "urn:uuid:6f9619ff-8b86-d011-b42d-00c04fc964ff",
])
def test_explicit_uuid_is_stored_lower_case_canonical(
    metadata: MetadataStore, spelling: str
) -> None:
    customer = metadata.create_customer("Acme")
    account = metadata.create_account(customer.id, "main", uuid=spelling, id=12)
    assert account == Account(12, "6f9619ff-8b86-d011-b42d-00c04fc964ff", customer.id, "main")
    assert metadata.get_account(12) == account


def test_account_explicit_id_moves_the_sequence(metadata: MetadataStore) -> None:
    customer = metadata.create_customer("Acme")
    metadata.create_account(customer.id, "main", id=50)
    assert metadata.create_account(customer.id, "next").id == 51


def test_taken_account_id_or_uuid_conflicts(metadata: MetadataStore) -> None:
    customer = metadata.create_customer("Acme")
    account = metadata.create_account(customer.id, "main", id=5)
    with pytest.raises(Conflict, match="id already taken"):
        metadata.create_account(customer.id, "again", id=5)
    with pytest.raises(Conflict, match="uuid already taken"):
        metadata.create_account(customer.id, "again", uuid=account.uuid.upper())
    assert metadata.list_accounts() == [account]


def test_account_of_a_missing_customer(metadata: MetadataStore) -> None:
    with pytest.raises(MissingReference, match="customer 404 not found"):
        metadata.create_account(404, "main")
    assert metadata.list_accounts() == []


@pytest.mark.parametrize("bad", ["not-a-uuid", "6f9619ff-8b86-d011-b42d", "g" * 32, " "])
def test_malformed_uuid_is_invalid(metadata: MetadataStore, bad: str) -> None:
    customer = metadata.create_customer("Acme")
    with pytest.raises(InvalidValue, match="invalid uuid"):
        metadata.create_account(customer.id, "main", uuid=bad)
    assert metadata.list_accounts() == []


def test_delete_account(metadata: MetadataStore) -> None:
    customer = metadata.create_customer("Acme")
    account = metadata.create_account(customer.id, "main")
    assert metadata.delete_account(account.id) is True
    assert metadata.get_account(account.id) is None
    assert metadata.delete_account(account.id) is False
    assert metadata.get_customer(customer.id) == customer


# --- api accesses ----------------------------------------------------------------------


def test_api_access_round_trip(metadata: MetadataStore) -> None:
    customer = metadata.create_customer("Acme")
    a1 = metadata.create_account(customer.id, "one")
    a2 = metadata.create_account(customer.id, "two")
    access = metadata.create_api_access(
        customer.id, "alice", "s3cret!", [a2.id, a1.id, a2.id], ["10.1.2.3/8", "192.0.2.7"]
    )
    assert (access.customer_id, access.login) == (customer.id, "alice")
    assert access.account_ids == sorted([a1.id, a2.id])
    assert access.allowed_ips == ["10.0.0.0/8", "192.0.2.7/32"]
    assert metadata.get_api_access(access.id) == access
    assert metadata.find_login("alice") == access
    assert metadata.find_login("Alice") is None
    assert metadata.list_api_accesses() == [access]
    assert metadata.list_api_accesses(customer.id) == [access]
    assert metadata.list_api_accesses(customer.id + 1) == []


def test_api_access_defaults_to_all_accounts_and_any_ip(metadata: MetadataStore) -> None:
    customer = metadata.create_customer("Acme")
    access = metadata.create_api_access(customer.id, "bob", "pw")
    assert (access.account_ids, access.allowed_ips) == ([], [])
    assert metadata.get_api_access(access.id) == access


def test_ipv6_cidrs_are_normalized(metadata: MetadataStore) -> None:
    customer = metadata.create_customer("Acme")
    access = metadata.create_api_access(customer.id, "v6", "pw", [],
                                        ["2001:DB8::1/32", "::1"])
    assert access.allowed_ips == ["2001:db8::/32", "::1/128"]


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "not-an-ip", "300.1.1.1", "10.0.0.0/8/8", ""])
def test_malformed_cidr_is_invalid(metadata: MetadataStore, bad: str) -> None:
    customer = metadata.create_customer("Acme")
    with pytest.raises(InvalidValue, match="invalid CIDR"):
        metadata.create_api_access(customer.id, "carol", "pw", [], ["10.0.0.0/8", bad])
    assert metadata.list_api_accesses() == []


def test_api_access_of_a_missing_customer(metadata: MetadataStore) -> None:
    with pytest.raises(MissingReference, match="customer 404 not found"):
        metadata.create_api_access(404, "dave", "pw")
    assert metadata.list_api_accesses() == []


def test_api_access_accounts_must_be_the_customers(metadata: MetadataStore) -> None:
    acme = metadata.create_customer("Acme")
    globex = metadata.create_customer("Globex")
    own = metadata.create_account(acme.id, "own")
    foreign = metadata.create_account(globex.id, "foreign")
    with pytest.raises(MissingReference, match=str(foreign.id)):
        metadata.create_api_access(acme.id, "eve", "pw", [own.id, foreign.id])
    with pytest.raises(MissingReference, match="999"):
        metadata.create_api_access(acme.id, "eve", "pw", [999])
    assert metadata.list_api_accesses() == []


def test_taken_login_conflicts_and_logins_are_case_sensitive(metadata: MetadataStore) -> None:
    acme = metadata.create_customer("Acme")
    globex = metadata.create_customer("Globex")
    first = metadata.create_api_access(acme.id, "frank", "pw")
    with pytest.raises(Conflict, match="login already taken"):
        metadata.create_api_access(globex.id, "frank", "other")
    assert metadata.list_api_accesses() == [first]
    upper = metadata.create_api_access(globex.id, "FRANK", "pw")
    assert metadata.list_api_accesses() == [first, upper]


def test_delete_api_access(metadata: MetadataStore) -> None:
    acme = metadata.create_customer("Acme")
    access = metadata.create_api_access(acme.id, "heidi", "pw")
    assert metadata.delete_api_access(access.id) is True
    assert metadata.find_login("heidi") is None
    assert metadata.delete_api_access(access.id) is False
    assert metadata.create_api_access(acme.id, "heidi", "pw").login == "heidi"


def test_passwords_are_stored_as_argon2_hashes(metadata: MetadataStore) -> None:
    acme = metadata.create_customer("Acme")
    password = "correct horse battery staple"
    metadata.create_api_access(acme.id, "ivan", password)
    with metadata.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM api_accesses")).mappings().all()
    assert len(rows) == 1
    stored = rows[0]["password_hash"]
    assert stored.startswith("$argon2id$")
    assert all(password not in str(value) for value in rows[0].values())
    assert verify_password(stored, password)
    assert not verify_password(stored, password + " ")


def test_the_public_view_has_no_password(metadata: MetadataStore) -> None:
    acme = metadata.create_customer("Acme")
    access = metadata.create_api_access(acme.id, "judy", "pw-judy")
    public = access.public()
    assert public == {"id": access.id, "customer_id": acme.id, "login": "judy",
                      "account_ids": [], "allowed_ips": []}
    assert "argon2" not in repr(access) and "pw-judy" not in repr(access)
    assert isinstance(access, ApiAccess)


# --- passwords -------------------------------------------------------------------------


@pytest.mark.parametrize("stored", [None, "", "not-a-hash", "$argon2id$v=19$m=1,t=1,p=1$xx$yy",
                                    "$2b$12$" + "a" * 53])
def test_verify_password_is_false_for_unknown_or_broken_hashes(stored: str | None) -> None:
    # the dummy hash verified for an unknown login does not make its password valid
    assert verify_password(stored, "callstats-dummy-password") is False


# --- the per-process lookup cache ------------------------------------------------------


def test_every_write_moves_the_change_counter(metadata: MetadataStore) -> None:
    seen = [metadata.changes()]

    def moved() -> None:
        seen.append(metadata.changes())
        assert seen[-1] > seen[-2]

    customer = metadata.create_customer("Acme")
    moved()
    account = metadata.create_account(customer.id, "main")
    moved()
    access = metadata.create_api_access(customer.id, "acme", "secret-password")
    moved()
    metadata.delete_api_access(access.id)
    moved()
    metadata.delete_account(account.id)
    moved()
    metadata.delete_customer(customer.id)
    moved()


def test_another_process_writes_are_seen_by_the_next_lookup(metadata_url: str) -> None:
    """Two stores on one database stand for two server processes: what one deletes or
    changes, the other refuses (or answers anew) at its very next lookup, though it had
    the old answer kept."""
    server, admin = MetadataStore(metadata_url), MetadataStore(metadata_url)
    try:
        customer = admin.create_customer("Acme")
        account = admin.create_account(customer.id, "main")
        other = admin.create_account(customer.id, "other")
        access = admin.create_api_access(customer.id, "acme", "secret-password",
                                         account_ids=[account.id])
        for _ in range(2):  # the second answer comes from the cache
            assert server.get_api_access(access.id) == access
            assert server.find_account_by_uuid(account.uuid) == account
            assert server.get_account(other.id) == other
            assert server.get_customer(customer.id) == customer
        admin.delete_api_access(access.id)
        assert server.get_api_access(access.id) is None
        admin.delete_account(account.id)
        assert server.find_account_by_uuid(account.uuid) is None
        with admin.engine.begin() as conn:  # a write that bypasses this code altogether
            conn.execute(sa.text("UPDATE accounts SET name = 'renamed' WHERE id = :id"),
                         {"id": other.id})
        assert server.get_account(other.id) == Account(other.id, other.uuid, customer.id,
                                                       "renamed")
        admin.delete_customer(customer.id)
        assert server.get_customer(customer.id) is None
        assert server.get_account(other.id) is None
    finally:
        server.close()
        admin.close()


def test_reopening_an_existing_database_keeps_one_counter(metadata_url: str) -> None:
    first = MetadataStore(metadata_url)
    first.create_customer("Acme")
    counter = first.changes()
    first.close()
    again = MetadataStore(metadata_url)  # triggers and the counter row are not doubled
    try:
        assert again.changes() == counter
        again.create_customer("Globex")
        assert again.changes() == counter + 1
        with again.engine.connect() as conn:
            assert conn.execute(sa.text(
                "SELECT count(*) FROM callstats_metadata_changes")).scalar() == 1
    finally:
        again.close()


def test_a_doubled_counter_row_still_keys_the_cache(metadata_url: str) -> None:
    """Two processes creating a fresh SQLite file at once can each insert the counter row:
    lookups still work, and a write is still seen by the next one."""
    store = MetadataStore(metadata_url)
    try:
        customer = store.create_customer("Acme")
        with store.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO callstats_metadata_changes (counter) "
                                 "SELECT counter FROM callstats_metadata_changes"))
        assert store.get_customer(customer.id) == customer
        before = store.changes()
        with store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE customers SET name = 'Globex' WHERE id = :id"),
                         {"id": customer.id})
        assert store.changes() > before
        assert store.get_customer(customer.id) == Customer(customer.id, "Globex")
    finally:
        store.close()


def test_one_request_reads_the_counter_once_and_the_next_request_anew(
        metadata_url: str) -> None:
    server, admin = MetadataStore(metadata_url), MetadataStore(metadata_url)
    try:
        customer = admin.create_customer("Acme")
        account = admin.create_account(customer.id, "main")
        access = admin.create_api_access(customer.id, "acme", "secret-password")
        assert server.get_api_access(access.id) == access  # kept
        reads: list[str] = []
        sa.event.listen(server.engine, "before_cursor_execute",
                        lambda *args: reads.append(args[2]))
        with server.one_request():
            assert server.get_api_access(access.id) == access
            assert server.find_account_by_uuid(account.uuid) == account
            assert server.find_account_by_uuid(account.uuid) == account
        assert sum("callstats_metadata_changes" in r for r in reads) == 1
        admin.delete_api_access(access.id)
        admin.delete_account(account.id)
        with server.one_request():
            assert server.get_api_access(access.id) is None
            assert server.find_account_by_uuid(account.uuid) is None
    finally:
        server.close()
        admin.close()
