from callstats.metadata.store import MetadataStore


def test_each_backend_round_trips_a_customer(metadata: MetadataStore) -> None:
    created = metadata.create_customer("Acme", id=40)
    assert metadata.get_customer(40) == created
    assert metadata.create_customer("Next").id == 41  # the serial moved past the explicit id
