"""The A/B tool of the Rasa launcher's replacements (bot/benchmark/replacements.py): how it
states a replacement's gain from two arms' figures."""

from __future__ import annotations

from bot.benchmark.load import LoadResult
from bot.benchmark.replacements import compare, gain


def result(cpu_ms: float, turns_per_second: float, p50: float, p95: float) -> LoadResult:
    return LoadResult(
        target="gateway",
        concurrency=10,
        turns=400,
        errors=0,
        seconds=400 / turns_per_second,
        turns_per_second=turns_per_second,
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p95 * 1.5,
        cpu_ms_per_turn={"rasa": cpu_ms, "gateway": 4.0},
    )


def test_gain_is_what_the_stock_path_costs_more_or_ours_serves_more() -> None:
    assert gain(10.0, 13.5) == 35.0  # the stock path spends 35% more CPU per turn
    assert gain(100.0, 80.0, cost=False) == 25.0  # ours serves 25% more turns per second
    assert gain(10.0, 9.0) == -10.0  # a replacement that costs more shows a negative gain
    assert gain(0.0, 9.0) is None and gain(9.0, 0.0) is None


def test_compare_gives_each_figure_of_both_arms_and_the_gain() -> None:
    row = compare(result(10.0, 60.0, 50.0, 200.0), result(13.1, 50.0, 55.0, 230.0))
    assert row["concurrency"] == 10 and row["errors"] == {"ours": 0, "stock": 0}
    assert row["rasa_cpu_ms_per_turn"] == {"ours": 10.0, "stock": 13.1, "gain_pct": 31.0}
    assert row["turns_per_second"]["gain_pct"] == 20.0
    assert row["p50_ms"]["gain_pct"] == 10.0
    assert row["p95_ms"]["gain_pct"] == 15.0
