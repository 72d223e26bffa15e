"""docs/configuration.md documents every setting the code reads."""

from pathlib import Path

from callstats.settings import Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def test_every_setting_is_documented() -> None:
    text = DOC.read_text()
    missing = [n for n in Settings.model_fields if f"`CALLSTATS_{n.upper()}`" not in text]
    assert missing == []


def test_every_setting_has_help_text() -> None:
    assert all(field.description for field in Settings.model_fields.values())
