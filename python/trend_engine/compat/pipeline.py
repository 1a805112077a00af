"""``trend_analysis.pipeline``'s entry points on Trend Engine: ``run(cfg)`` and ``run_full(cfg)``."""

from collections import namedtuple

import trend_engine

from ._config import config_dict

# The reference's PipelineResult: the result dict, and a diagnostic when there is none.
PipelineResult = namedtuple("PipelineResult", ["value", "diagnostic"])

STATS_FIELDS = ["cagr", "vol", "sharpe", "sortino", "max_drawdown", "information_ratio", "is_avg_corr", "os_avg_corr"]


def run_full(cfg):
    """The full result dict of one analysis (the reference's ``PipelineResult``)."""
    result = trend_engine.run(config_dict(cfg), None, warn=True)
    return PipelineResult(result.to_dict(), None)


def run(cfg):
    """Out-of-sample statistics per selected fund: the 8 ``_Stats`` fields, then ``ir_<label>``
    per benchmark, as the reference's ``pipeline.run`` returns them."""
    import pandas as pd

    value = run_full(cfg).value
    stats = value.get("out_sample_stats", {})
    funds = [f for f in value.get("selected_funds", []) if f in stats] or list(stats)
    table = pd.DataFrame([[stats[f].get(k) for k in STATS_FIELDS] for f in funds], index=funds,
                         columns=STATS_FIELDS, dtype="float64")
    for label, by_fund in (value.get("benchmark_ir") or {}).items():
        table[f"ir_{label}"] = [by_fund.get(f) for f in funds]
    return table
