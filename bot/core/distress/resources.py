"""Crisis resources by country: a dated default list, reviewed by the project.

A community sets its country with ``/emotion settings crisis-country XX`` (ISO 3166 alpha-2), or
its own text with ``/emotion settings crisis-resources ...``; the default is the international
directory. Numbers change: :data:`REVIEWED` is when the list was last checked against each
service's own site, and a test fails when it is more than a year old, so that someone looks again.
"""

from __future__ import annotations

from datetime import date

REVIEWED = date(2026, 12, 2)
FALLBACK = "Find a free, confidential helpline in your country: https://findahelpline.com"

# country code -> (country name, the lines to show). Emergency numbers come first where a person
# may be in immediate danger.
RESOURCES: dict[str, tuple[str, str]] = {
    "US": (
        "United States",
        "988 Suicide & Crisis Lifeline: call or text 988 (24/7). Emergency: 911.",
    ),
    "CA": ("Canada", "9-8-8 Suicide Crisis Helpline: call or text 988 (24/7). Emergency: 911."),
    "GB": (
        "United Kingdom",
        "Samaritans: call 116 123 (free, 24/7). Shout: text SHOUT to 85258. Emergency: 999.",
    ),
    "IE": ("Ireland", "Samaritans: call 116 123 (free, 24/7). Text 50808. Emergency: 112 or 999."),
    "AU": ("Australia", "Lifeline: call 13 11 14 or text 0477 13 11 14 (24/7). Emergency: 000."),
    "NZ": ("New Zealand", "Need to talk? Call or text 1737 (free, 24/7). Emergency: 111."),
    "DE": (
        "Germany",
        "TelefonSeelsorge: 0800 111 0 111 or 0800 111 0 222 (free, 24/7). Emergency: 112.",
    ),
    "FR": ("France", "3114, numéro national de prévention du suicide (24/7). Emergency: 112."),
    "NL": ("Netherlands", "113 Zelfmoordpreventie: call 113 or 0800 0113 (free). Emergency: 112."),
    "ES": ("Spain", "Línea 024 (free, 24/7). Emergency: 112."),
    "IN": ("India", "Tele-MANAS: call 14416 (free, 24/7). Emergency: 112."),
}


def resources_for(country: str | None, custom: str | None = None) -> str:
    """What a person is shown: the community's own text, its country's lines, or the directory."""
    if custom and custom.strip():
        return custom.strip()
    entry = RESOURCES.get((country or "").strip().upper())
    if entry is None:
        return FALLBACK
    return f"{entry[1]} Elsewhere: https://findahelpline.com"


def community_resources(custom: str | None, country: str | None, default: str) -> str:
    """A community's own text, else its country's list, else the bot's default."""
    if custom and custom.strip():
        return custom.strip()
    if country:
        return resources_for(country)
    return default
