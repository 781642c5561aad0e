"""Usage buckets and sparklines."""

from ogcli.core.stats import buckets, series, sparkline


def test_buckets_end_at_now_and_cover_the_window():
    starts = buckets(now=10 * 86_400 + 500, window="7d")
    assert len(starts) == 7 and starts[-1] == 10 * 86_400 and starts[0] == 4 * 86_400
    assert len(buckets(now=3_600 * 50, window="24h")) == 24


def test_series_sums_per_bucket_and_drops_outsiders():
    starts = [0, 100, 200]
    assert series(starts, 100, [(5, 1), (99, 2), (150, 4), (299, 8), (300, 16), (-1, 32)]) == [3, 4, 8]


def test_sparkline_scales_to_the_peak():
    assert sparkline([0, 0, 0]) == "▁▁▁"
    line = sparkline([0, 1, 4, 8])
    assert line[0] == "▁" and line[-1] == "█" and len(line) == 4
    assert line[1] <= line[2] <= line[3]
