"""``trend_analysis.multi_period``'s entry points on Trend Engine: ``run(cfg, df=None)`` and
``run_from_config(cfg)``: one result dict per period, in schedule order."""

import trend_engine

from ._config import config_dict


def run(cfg, df=None):
    """Each period's result dict (its ``period`` = in-sample start and end, out-of-sample start
    and end); ``df`` is the returns (a DataFrame with a DatetimeIndex or a Date column), else
    the config's ``data.csv_path`` is read."""
    if df is not None and "Date" in getattr(df, "columns", []):
        import pandas as pd

        df = df.set_index(pd.to_datetime(df["Date"])).drop(columns=["Date"])
    result = trend_engine.run_multi_period(config_dict(cfg), df)
    return list(result.to_dict().get("periods", []))


def run_from_config(cfg):
    """As the reference's ``run_from_config``: the returns from ``data.csv_path``."""
    return run(cfg)
