"""Bounds on what one ingestion batch may hold (defaults of their CALLSTATS_* settings)."""

MAX_ERRORS = 100  # errors listed in one 422
DEFAULT_MAX_STRING = 4096  # characters of one text value (CALLSTATS_MAX_STRING_LENGTH)
