"""Trend Engine from Python: the analysis of ``trend run`` on pandas DataFrames.

    import pandas as pd
    import trend_engine

    returns = pd.read_csv("returns.csv", index_col="Date", parse_dates=True)
    result = trend_engine.run("config.yml", returns)
    result.weights                 # Series: fund -> weight
    result.out_sample_stats        # DataFrame: fund x (cagr, vol, sharpe, ...)
    result.to_dict()               # what `trend run --json` writes

The engine releases the GIL while it computes, so Python threads run analyses in parallel.
Errors are :class:`ConfigError` (the config) and :class:`DataError` (the returns), with the
messages of the command line.
"""

import io
import json
import os
import warnings as _warnings

from . import _native
from ._native import ConfigError, DataError

__all__ = ["run", "run_multi_period", "sweep", "Result", "ConfigError", "DataError"]
__version__ = "0.1.0"


def _config_text(config):
    """(text, name, base_dir) of a config given as a dict, a YAML string or a path."""
    if isinstance(config, dict):
        # JSON is YAML: the engine's one parser reads it, naming keys as for a file.
        return json.dumps(config), "config", os.getcwd()
    if isinstance(config, os.PathLike) or (
        isinstance(config, str) and "\n" not in config and config.endswith((".yml", ".yaml", ".json"))
    ):
        path = os.fspath(config)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise ConfigError(f"{path}: cannot read the config file: {e.strerror}") from None
        return text, path, os.path.dirname(os.path.abspath(path))
    if isinstance(config, str):
        return config, "config", os.getcwd()
    raise TypeError(f"config: expected a dict, a YAML string or a path, not {type(config).__name__}")


def _returns_arrays(returns):
    """(dates, columns, values, path) of returns given as a DataFrame, a path or None."""
    if returns is None:
        return None, [], None, ""
    if isinstance(returns, (str, os.PathLike)):
        return None, [], None, os.fspath(returns)
    import numpy as np
    import pandas as pd

    if not isinstance(returns, pd.DataFrame):
        raise DataError(f"returns: expected a pandas DataFrame or a path, not {type(returns).__name__}")
    index = returns.index
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError(
            f"returns: expected a DataFrame with a DatetimeIndex, not {type(index).__name__}; "
            "e.g. df.set_index(pd.to_datetime(df['Date']))"
        )
    if index.tz is not None:
        index = index.tz_localize(None)
    columns = [str(c) for c in returns.columns]
    for name, dtype in zip(columns, returns.dtypes):
        if dtype.kind not in "fiu":
            raise DataError(
                f"returns: column '{name}' has dtype {dtype}; every column must hold numbers "
                "(decimal returns, NaN for missing)"
            )
    if len(set(columns)) != len(columns):
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        raise DataError(f"returns: column names repeat: {', '.join(repeated)}")
    # A float64 frame's values are one column-major block: this is a view, not a copy.
    values = returns.to_numpy(dtype=np.float64, copy=False)
    if not values.flags.f_contiguous:
        values = np.asfortranarray(values)
    dates = index.values.astype("datetime64[ns]").view("int64")
    return dates, columns, values, ""


class Result:
    """One analysis or backtest. ``to_dict()`` is the document ``trend run --json`` writes; the
    properties are its parts as pandas objects. Parsed on first use: a run costs no more than it
    must."""

    def __init__(self, document, multi_period):
        self._text = document
        self._dict = None
        self.multi_period = multi_period

    def to_dict(self):
        if self._dict is None:
            self._dict = json.loads(self._text)
        return self._dict

    def to_json(self):
        return self._text

    def __repr__(self):
        kind = "multi-period backtest" if self.multi_period else "analysis"
        stats = self._headline()
        sharpe = stats.get("sharpe")
        return f"<trend_engine.Result {kind}: {len(self.weights)} funds, out-of-sample Sharpe {sharpe if sharpe is None else round(sharpe, 3)}>"

    def _headline(self):
        d = self.to_dict()
        return (d.get("summary") or {}).get("out_user_stats", {}) if self.multi_period else d.get("out_user_stats", {})

    @property
    def warnings(self):
        return list(self.to_dict().get("warnings", []))

    @property
    def weights(self):
        """Series: fund -> weight (a backtest: the mean over its periods)."""
        import pandas as pd

        d = self.to_dict()
        source = d.get("summary", {}) if self.multi_period else d
        return pd.Series(source.get("fund_weights", {}), name="weight", dtype="float64")

    def _stats_frame(self, key):
        import pandas as pd

        d = self.to_dict()
        source = d.get("summary", {}) if self.multi_period else d
        frame = pd.DataFrame.from_dict(source.get(key, {}), orient="index", dtype="float64")
        frame.index.name = "fund"
        return frame

    @property
    def in_sample_stats(self):
        """DataFrame: fund x statistic, in sample."""
        return self._stats_frame("in_sample_stats")

    @property
    def out_sample_stats(self):
        """DataFrame: fund x statistic, out of sample."""
        return self._stats_frame("out_sample_stats")

    @property
    def portfolio_stats(self):
        """DataFrame: (in/out sample, portfolio/equal weight) x statistic."""
        import pandas as pd

        d = self.to_dict()
        source = d.get("summary", {}) if self.multi_period else d
        rows = {k: source[k] for k in ("in_user_stats", "in_ew_stats", "out_user_stats", "out_ew_stats") if k in source}
        return pd.DataFrame.from_dict(rows, orient="index", dtype="float64")

    @property
    def portfolio_returns(self):
        """DataFrame indexed by date: the portfolio's and equal weight's returns (a single
        analysis: in and out of sample; a backtest: the chained out-of-sample equity curve)."""
        import pandas as pd

        d = self.to_dict()
        if self.multi_period:
            curve = pd.DataFrame(d.get("equity_curve", []))
            if curve.empty:
                return curve
            curve["date"] = pd.to_datetime(curve["date"])
            return curve.set_index("date")
        series = {k: pd.Series(v, dtype="float64") for k, v in d.get("portfolio_returns", {}).items()}
        frame = pd.DataFrame(series)
        frame.index = pd.to_datetime(frame.index)
        return frame.sort_index()

    @property
    def periods(self):
        """DataFrame: one row per period of a backtest (windows, funds, turnover, cost, and the
        out-of-sample statistics); empty for a single analysis."""
        import pandas as pd

        rows = []
        for p in self.to_dict().get("periods", []):
            row = {
                "in_start": p["period"][0], "in_end": p["period"][1],
                "out_start": p["period"][2], "out_end": p["period"][3],
                "funds": len(p.get("selected_funds", [])),
                "turnover": p.get("turnover"), "transaction_cost": p.get("transaction_cost"),
            }
            row.update({f"out_{k}": v for k, v in (p.get("out_user_stats") or {}).items()})
            rows.append(row)
        frame = pd.DataFrame(rows)
        for column in ("in_start", "in_end", "out_start", "out_end"):
            if column in frame:
                frame[column] = pd.to_datetime(frame[column])
        return frame


def _run(config, returns, multi_period, warn):
    text, name, base_dir = _config_text(config)
    dates, columns, values, path = _returns_arrays(returns)
    document = _native.run(text, name, base_dir, dates, columns, values, path, multi_period)
    result = Result(document, multi_period)
    if warn:
        for w in result.warnings:
            _warnings.warn(w, stacklevel=3)
    return result


def run(config, returns=None, *, warn=True):
    """One analysis: in-sample selection and weights, out-of-sample statistics.

    config: a dict, a YAML string or a path to a YAML file (the keys of config/defaults.yml).
    returns: a DataFrame with a DatetimeIndex and one numeric column per series (decimal
    returns, NaN for missing), a path to a CSV, or None for the config's data.csv_path.
    Warnings (unknown keys, keys with no effect, fallbacks) are issued with warnings.warn
    unless warn=False, and kept in result.warnings.
    """
    return _run(config, returns, False, warn)


def run_multi_period(config, returns=None, *, warn=True):
    """The walk-forward backtest over the config's multi_period schedule."""
    return _run(config, returns, True, warn)


def sweep(config, grid, returns=None, *, threads=0):
    """Every configuration of a grid (a dict or YAML: key -> list of values) on `threads`
    threads (0: every core): a DataFrame with one row per configuration, the rows of
    `trend sweep`'s results.csv."""
    import pandas as pd

    text, name, base_dir = _config_text(config)
    grid_text = json.dumps(grid) if isinstance(grid, dict) else str(grid)
    dates, columns, values, path = _returns_arrays(returns)
    csv = _native.sweep(text, name, base_dir, grid_text, dates, columns, values, path, int(threads))
    return pd.read_csv(io.StringIO(csv))
