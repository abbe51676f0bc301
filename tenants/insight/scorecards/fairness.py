"""Fair comparison of rates from samples of different sizes (DOMAIN.md §10: small samples must not rank above
large ones by luck)."""

import math

Z_95 = 1.959963984540054  # two-sided 95 %
MIN_SAMPLE = 30  # default: fewer ratings than this are listed, never ranked


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of successes/n; None when n is 0."""
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError("successes must be between 0 and n")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - margin), min(1.0, centre + margin)


def wilson_lower_bound(successes: int, n: int, z: float = Z_95) -> float:
    """The lower end of the Wilson interval (0 when n is 0): the rate we are 97.5 % sure is exceeded."""
    interval = wilson_interval(successes, n, z)
    return 0.0 if interval is None else interval[0]


class RankMovement:
    """For a row with `rank` and `previous_rank` (None when unranked): its movement between two periods."""

    @property
    def rank_change(self) -> int | None:
        """Places gained since the previous period (positive: moved up); None without both ranks."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank

    @property
    def places_moved(self) -> int:
        return abs(self.rank_change or 0)
