"""Small-sample honesty: Wilson score intervals for the accuracy figures the project reports on
author-written sets (written out: the project ships no statistics library, and it is a textbook
formula)."""
from __future__ import annotations

import math

Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a proportion k/n (95 % by default): the true rates that a
    two-sided test at 5 % would not reject given k of n. Unlike k/n ± z·se it stays inside [0, 1]
    and keeps its coverage near 0 and 1 and for small n."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # at k = 0 or k = n the bound is exactly 0 or 1; floating point would leave 1 - 1e-16
    return (0.0 if k == 0 else max(0.0, centre - half)), (1.0 if k == n else min(1.0, centre + half))
