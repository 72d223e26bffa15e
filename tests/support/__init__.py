"""The one test-support package: apps under test, bodies, data generators, plain-Python
references and store probes shared by the suites (`from tests.support.<module> import …`).

Modules:
- times: µs ↔ ISO conversions and every accepted spelling of an instant.
- wire: exact response bytes the SPEC fixes (401 bodies, errors) and the ETag rule.
- bodies: ingestion bodies in every format (NDJSON, CSV, Parquet, gzip, envelopes).
- api / pbx: the real app in-process with a fixed clock, tenants set up through the admin
  API; pbx also holds SPEC 5's counting rules in plain Python.
- api_data, differential, pbx_data: seeded datasets; api_reference: SPEC 4.3–4.5 in plain
  Python; strategies: hypothesis strategies for requests.
- parity: the same app on every store kind, compared byte for byte.
- stores: store kinds, fresh store URLs, the ClickHouse HTTP stand-in, raw row probes.
- sim: constants of the simulator tests.
"""
