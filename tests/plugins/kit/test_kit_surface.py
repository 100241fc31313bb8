"""The kit's public names are the documented ones, and it is versioned with the SDK."""

from __future__ import annotations

import re
from pathlib import Path

import pitstop.sdk
import pitstop.testing

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "testing-plugins.md"


def test_every_public_name_of_the_kit_is_documented() -> None:
    # Given the guide's code spans (outside its code blocks)
    prose = re.sub(r"^```.*?^```$", "", GUIDE.read_text(encoding="utf-8"), flags=re.M | re.S)
    spans = re.findall(r"`([^`]+)`", prose)
    # Then every name the kit exports appears in one, as a whole word
    for name in pitstop.testing.__all__:
        assert any(re.search(rf"\b{name}\b", span) for span in spans), name


def test_the_kit_carries_the_sdks_version() -> None:
    assert pitstop.testing.SDK_VERSION == pitstop.sdk.SDK_VERSION
