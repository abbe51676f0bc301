import pytest

from tenants.insight.scorecards.fairness import wilson_interval, wilson_lower_bound


def test_wilson_matches_hand_computed_values():
    # 9/10: p=0.9, z=1.96 → (0.5958, 0.9821) (standard tables)
    low, high = wilson_interval(9, 10)
    assert round(low, 4) == 0.5958 and round(high, 4) == 0.9821
    assert round(wilson_lower_bound(90, 100), 4) == 0.8256


def test_a_small_perfect_sample_ranks_below_a_large_very_good_one():
    assert wilson_lower_bound(5, 5) < wilson_lower_bound(970, 1000)


def test_edges():
    assert wilson_interval(0, 0) is None and wilson_lower_bound(0, 0) == 0.0
    assert wilson_lower_bound(0, 10) == 0.0 and wilson_interval(10, 10)[1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson_interval(11, 10)
