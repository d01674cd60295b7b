"""The default crisis-resource list: format, coverage and age."""

from __future__ import annotations

import re
from datetime import date

from bot.core.distress.resources import FALLBACK, RESOURCES, REVIEWED, resources_for


def test_the_list_was_reviewed_within_a_year() -> None:
    age = (date.today() - REVIEWED).days
    assert 0 <= age <= 366, f"crisis resources last reviewed {REVIEWED}: check every number again"


def test_every_entry_is_a_country_code_with_a_number_and_an_emergency_line() -> None:
    for code, (name, text) in RESOURCES.items():
        assert re.fullmatch(r"[A-Z]{2}", code)
        assert name and len(text) < 200
        assert re.search(r"\d{3}", text), code
        assert "Emergency:" in text, code


def test_the_most_common_countries_are_there() -> None:
    assert "988" in RESOURCES["US"][1] and "988" in RESOURCES["CA"][1]
    assert "116 123" in RESOURCES["GB"][1] and "116 123" in RESOURCES["IE"][1]
    assert "13 11 14" in RESOURCES["AU"][1]


def test_choice_order_custom_then_country_then_directory() -> None:
    assert resources_for("gb", "Our own line: 0123") == "Our own line: 0123"
    assert resources_for("gb").startswith(RESOURCES["GB"][1])
    assert resources_for("zz") == FALLBACK
    assert resources_for(None) == FALLBACK
    assert "findahelpline.com" in FALLBACK
