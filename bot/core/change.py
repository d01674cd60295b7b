"""How much a share moved between two periods, and whether chance alone could explain it.

A summary's shares are shares of *messages* (each message counts once, whoever wrote it), so the
noise of a change is that of a difference of two proportions over message counts: the standard
error ``sqrt(p1 (1 - p1) / n1 + p2 (1 - p2) / n2)``, and a 95% margin of 1.96 of those. That
treats messages as independent; messages of the same member lean the same way, so the true margin
is somewhat wider and a change just past it deserves a second look rather than alarm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.96  # two-sided 95% of the normal distribution


@dataclass(frozen=True)
class ShareChange:
    """``now - before`` of a share (both in 0..1), its standard error and what to say about it."""

    now: float
    before: float
    n_now: int
    n_before: int

    @property
    def diff(self) -> float:
        return self.now - self.before

    @property
    def se(self) -> float:
        var = 0.0
        for p, n in ((self.now, self.n_now), (self.before, self.n_before)):
            if n > 0:
                var += p * (1.0 - p) / n
        return math.sqrt(var)

    @property
    def margin(self) -> float:
        """Half the width of the 95% interval of the change (same units as the shares)."""
        return Z_95 * self.se

    @property
    def points(self) -> int:
        """The change in whole percentage points, as shown (0: "no change")."""
        return round(100 * self.diff)

    @property
    def beyond_noise(self) -> bool:
        """The change is larger than its 95% margin: more than chance would explain. A change
        with no spread at all (shares of 0 or 1 on both sides) is beyond noise when it exists."""
        if self.points == 0:
            return False
        return abs(self.diff) >= self.margin

    @property
    def z(self) -> float:
        """The change in standard errors (infinite when there is no spread)."""
        if self.se == 0.0:
            return 0.0 if self.diff == 0.0 else math.copysign(math.inf, self.diff)
        return self.diff / self.se


def margin_points(change: ShareChange) -> str:
    """The 95% margin in percentage points as shown: whole points, or one decimal under 1 (so a
    margin is never shown as "± 0")."""
    value = 100 * change.margin
    if round(value) >= 1:
        return str(round(value))
    return f"{max(value, 0.1):.1f}"
