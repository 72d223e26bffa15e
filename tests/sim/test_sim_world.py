"""The demo operator is consistent: unique ids, real references, valid numbers."""

from __future__ import annotations

import uuid

from callstats.sim import TrafficModel, demo_world
from callstats.sim.catalog import account_uuid


def test_ids_and_uuids_are_unique_and_stable() -> None:
    world = demo_world()
    contractors = world.contractors()
    accounts = [a for c in contractors for a in c.accounts]
    assert len({c.id for c in contractors}) == len(contractors)
    assert len({a.id for a in accounts}) == len(accounts)
    assert len({a.uuid for a in accounts}) == len(accounts)
    assert all(uuid.UUID(a.uuid).version == 1 for a in accounts)
    assert all(a.customer_id == c.id for c in contractors for a in c.accounts)
    assert demo_world() == world and account_uuid(10011) == world.demo_customer.accounts[0].uuid
    assert len(world.demo_customer.accounts) == 2


def test_flows_reference_real_accounts_and_countries() -> None:
    world = demo_world()
    owners = {a.id: c.id for c in world.contractors() for a in c.accounts}
    isos = {c.iso for c in world.countries}
    for flow in world.flows:
        assert owners[flow.account_id] == flow.customer_id
        if flow.inbound:
            assert owners[flow.target_account_id] == flow.target_customer_id
        assert {iso for iso, _ in flow.countries} <= isos
        assert abs(sum(w for _, w in flow.countries) - 1) < 1e-9


def test_numbers_are_e164() -> None:
    world = demo_world()
    for country in world.countries:
        for route in country.routes:
            assert route.prefix.isdigit() and len(route.prefix) < route.number_length
            assert len(country.code) + route.number_length <= 15
    for customer in world.customers:
        for ext in customer.extensions:
            assert ext.did.startswith("44") and len(ext.did) == 12 and len(ext.mobile) == 12


def test_every_sell_rate_is_above_every_vendor_cost() -> None:
    model = TrafficModel(demo_world())
    assert (model.customer_rate[~model.inbound] > model.vendor_rate.max(axis=0)).all()
