"""`import trend_engine` under pytest with Debian's pandas: the golden cases through `run` (with
DataFrames) and through the reference's entry points (`compat`), DataFrame inputs the engine
must refuse, errors with the command line's messages, results equal to `trend run --json`,
sweeps, and the GIL released while the engine computes.

Run by ctest (python_trend_engine) with PYTHONPATH=<build>/python and TREND_CLI=<trend>."""

import json
import math
import os
import subprocess
import threading
import warnings

import numpy as np
import pandas as pd
import pytest

import trend_engine
from trend_engine import compat

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(ROOT, "tests", "golden")
MANIFEST = json.load(open(os.path.join(GOLDEN, "manifest.json")))
TOLERANCE = MANIFEST["tolerance"]
CLI = os.environ.get("TREND_CLI", os.path.join(ROOT, "build", "release", "src", "cli", "trend"))


def cases(kind):
    return [c for c in MANIFEST["cases"] if c["kind"] == kind and "expected_error" not in c]


# ---- the golden rules (tests/golden_compare.hpp): null and NaN alike, numbers within tolerance

def nullish(v):
    return v is None or (isinstance(v, float) and math.isnan(v))


def compare(ours, expected, path, errors):
    if nullish(ours) and nullish(expected):
        return
    if isinstance(ours, dict) or isinstance(expected, dict):
        a = ours if isinstance(ours, dict) else {}
        b = expected if isinstance(expected, dict) else {}
        for k in set(a) | set(b):
            compare(a.get(k), b.get(k), f"{path}.{k}", errors)
        return
    if isinstance(ours, list) and isinstance(expected, list):
        if len(ours) != len(expected):
            errors.append(f"{path}: length {len(ours)} vs {len(expected)}")
            return
        for i, (x, y) in enumerate(zip(ours, expected)):
            compare(x, y, f"{path}[{i}]", errors)
        return
    numbers = (int, float)
    if isinstance(ours, numbers) and isinstance(expected, numbers) and not isinstance(expected, bool):
        if not abs(ours - expected) <= max(TOLERANCE["absolute"], TOLERANCE["relative"] * abs(expected)):
            errors.append(f"{path}: {ours} vs expected {expected}")
        return
    if ours != expected:
        errors.append(f"{path}: {ours!r} vs expected {expected!r}")


def find(root, dotted):
    node = root
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return None, False
        node = node[key]
    return node, True


def project(value, keys):
    if not keys or not isinstance(value, list):
        return value
    return [{k: item.get(k) for k in keys} for item in value]


def check_single(ours, case):
    directory = os.path.join(GOLDEN, "cases", case["name"])
    errors = []
    targets = [(json.load(open(os.path.join(directory, "expected.json")))["single_period"], case["compare"])]
    if "te_expected" in case:
        te = case["te_expected"]
        targets.append((json.load(open(os.path.join(directory, te["file"])))["single_period"], te["compare"]))
    for expected, fields in targets:
        for field in fields:
            path = field[len("single_period."):] if field.startswith("single_period.") else field
            a, has_a = find(ours, path)
            b, has_b = find(expected, path)
            if not has_a and not has_b:
                errors.append(f"{path}: missing on both sides")
            else:
                compare(a, b, path, errors)
    return errors


def check_multi(periods, document, case):
    directory = os.path.join(GOLDEN, "cases", case["name"])
    errors = []
    targets = [(json.load(open(os.path.join(directory, "expected.json"))), case["compare"])]
    if "te_expected" in case:
        te = case["te_expected"]
        targets.append((json.load(open(os.path.join(directory, te["file"]))), te["compare"]))
    for expected, fields in targets:
        theirs = expected["periods"]
        if len(periods) != len(theirs):
            return [f"{len(periods)} periods vs {len(theirs)}"]
        for field in fields:
            if field.startswith("periods."):
                inner = field[len("periods."):]
                keys = []
                if "[" in inner:
                    inner, rest = inner.split("[", 1)
                    keys = rest.rstrip("]").split(",")
                for i, (mine, other) in enumerate(zip(periods, theirs)):
                    a, has_a = find(mine, inner)
                    b, has_b = find(other, inner)
                    if not has_a and not has_b:
                        errors.append(f"periods[{i}].{inner}: missing on both sides")
                    else:
                        compare(project(a, keys), project(b, keys), f"periods[{i}].{inner}", errors)
            elif document is not None:
                a, has_a = find(document, field)
                b, has_b = find(expected, field)
                if not has_a and not has_b:
                    errors.append(f"{field}: missing on both sides")
                else:
                    compare(a, b, field, errors)
    return errors


def read_returns(directory, config):
    """The case's returns as an analyst would load them: pandas, a DatetimeIndex."""
    date_column = (config.get("data") or {}).get("date_column", "Date")
    frame = pd.read_csv(os.path.join(directory, "returns.csv"))
    column = next(c for c in frame.columns if c.lower() == date_column.lower())
    return frame.set_index(pd.DatetimeIndex(pd.to_datetime(frame[column]), name=column)).drop(columns=[column])


def load_config(directory):
    import yaml

    return yaml.safe_load(open(os.path.join(directory, "config.yml")))


# ---- golden cases through trend_engine.run with DataFrames, and through compat

@pytest.mark.parametrize("case", cases("single"), ids=lambda c: c["name"])
def test_golden_single_period_with_a_dataframe(case):
    directory = os.path.join(GOLDEN, "cases", case["name"])
    config_path = os.path.join(directory, "config.yml")
    returns = read_returns(directory, load_config(directory))
    result = trend_engine.run(config_path, returns, warn=False)
    errors = check_single(result.to_dict(), case)
    assert not errors, "\n".join(errors[:20])


@pytest.mark.parametrize("case", cases("multi"), ids=lambda c: c["name"])
def test_golden_multi_period_with_a_dataframe(case):
    directory = os.path.join(GOLDEN, "cases", case["name"])
    returns = read_returns(directory, load_config(directory))
    result = trend_engine.run_multi_period(os.path.join(directory, "config.yml"), returns, warn=False)
    document = result.to_dict()
    errors = check_multi(document["periods"], document, case)
    assert not errors, "\n".join(errors[:20])


@pytest.mark.parametrize("case", [c for c in cases("single") if c.get("loader") == "engine"], ids=lambda c: c["name"])
def test_golden_single_period_through_compat(case, monkeypatch):
    directory = os.path.join(GOLDEN, "cases", case["name"])
    monkeypatch.chdir(directory)  # the reference reads data.csv_path from the working folder
    cfg = load_config(directory)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = compat.pipeline.run_full(cfg)
        table = compat.pipeline.run(cfg)
    errors = check_single(result.value, case)
    assert not errors, "\n".join(errors[:20])
    assert list(table.index) == [f for f in result.value["selected_funds"] if f in result.value["out_sample_stats"]]
    assert list(table.columns[:8]) == compat.pipeline.STATS_FIELDS
    for fund in table.index:
        assert table.loc[fund, "sharpe"] == pytest.approx(result.value["out_sample_stats"][fund]["sharpe"], nan_ok=True)


@pytest.mark.parametrize("case", [c for c in cases("multi") if c.get("loader") == "engine"], ids=lambda c: c["name"])
def test_golden_multi_period_through_compat(case, monkeypatch):
    directory = os.path.join(GOLDEN, "cases", case["name"])
    monkeypatch.chdir(directory)
    cfg = load_config(directory)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        periods = compat.multi_period.run(cfg, read_returns(directory, cfg))
    errors = check_multi(periods, None, case)
    assert not errors, "\n".join(errors[:20])


# ---- the same numbers as the command line

def cli_json(*args):
    out = subprocess.run([CLI, "run", *args, "--json", "-", "--no-export"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def test_to_dict_equals_trend_run_json():
    config = os.path.join(ROOT, "config", "demo.yml")
    assert trend_engine.run(config).to_dict() == cli_json("-c", config)
    assert trend_engine.run_multi_period(config).to_dict() == cli_json("-c", config, "--multi-period")


def test_the_result_as_pandas_objects():
    config = os.path.join(ROOT, "config", "demo.yml")
    result = trend_engine.run(config)
    d = result.to_dict()
    assert list(result.weights.index) == list(d["fund_weights"])
    assert result.weights.sum() == pytest.approx(1.0)
    fund = next(iter(d["out_sample_stats"]))
    assert result.out_sample_stats.loc[fund, "sharpe"] == d["out_sample_stats"][fund]["sharpe"]
    assert isinstance(result.portfolio_returns.index, pd.DatetimeIndex)
    assert list(result.portfolio_returns.columns) == ["in_ew", "in_user", "out_ew", "out_user"]
    assert result.portfolio_stats.loc["out_user_stats", "cagr"] == d["out_user_stats"]["cagr"]
    backtest = trend_engine.run_multi_period(config)
    assert len(backtest.periods) == backtest.to_dict()["n_periods"]
    assert {"out_start", "turnover", "out_sharpe"} <= set(backtest.periods.columns)
    assert repr(result).startswith("<trend_engine.Result analysis:")
    assert repr(backtest).startswith("<trend_engine.Result multi-period backtest:")


def test_a_config_as_a_dict_a_yaml_string_or_a_path():
    config = os.path.join(ROOT, "config", "demo.yml")
    import yaml

    as_dict = yaml.safe_load(open(config))
    as_dict["data"]["csv_path"] = os.path.join(ROOT, "demo", "demo_returns.csv")
    by_path = trend_engine.run(config).to_dict()
    assert trend_engine.run(as_dict).to_dict() == by_path
    assert trend_engine.run(yaml.safe_dump(as_dict)).to_dict() == by_path
    returns = pd.read_csv(os.path.join(ROOT, "demo", "demo_returns.csv"), index_col="Date", parse_dates=True)
    from_frame = trend_engine.run(as_dict, returns).to_dict()
    assert from_frame["fund_weights"] == pytest.approx(by_path["fund_weights"], rel=1e-12)


# ---- DataFrames the engine refuses, and errors with the CLI's words

def small_frame():
    index = pd.date_range("2015-01-31", periods=60, freq="M")
    rng = np.random.default_rng(1)
    return pd.DataFrame(rng.normal(0.005, 0.03, (60, 4)), index=index, columns=["RF", "A", "B", "C"])


SMALL_CONFIG = {"data": {"risk_free_column": "RF"}, "sample_split": {"in_start": "2015-01", "in_end": "2017-12",
                                                                    "out_start": "2018-01", "out_end": "2019-12"}}


def test_gaps_and_integer_columns_are_fine():
    frame = small_frame()
    frame.iloc[3, 1] = np.nan
    frame["D"] = 0  # an integer column
    result = trend_engine.run(SMALL_CONFIG, frame, warn=False)
    assert "D" in result.to_dict()["universe"]


@pytest.mark.parametrize("change, message", [
    (lambda f: f.reset_index(drop=True), "expected a DataFrame with a DatetimeIndex, not RangeIndex"),
    (lambda f: f.assign(B=f["B"].astype(str)), "column 'B' has dtype object"),
    (lambda f: f.assign(B=f["B"] > 0), "column 'B' has dtype bool"),
    (lambda f: pd.concat([f, f.iloc[[-1]]]), "ascending dates without repeats"),
    (lambda f: f.iloc[::-1], "ascending dates without repeats"),
    (lambda f: f.assign(B=f["B"].where(f.index != f.index[5], np.inf)), "column 'B' at 2015-06-30 is infinite"),
])
def test_unusable_dataframes_are_refused_clearly(change, message):
    with pytest.raises(trend_engine.DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        trend_engine.run(SMALL_CONFIG, change(small_frame()))


def test_config_errors_carry_the_command_lines_message(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("portfolio:\n  rank:\n    n: 0\n")
    cli = subprocess.run([CLI, "run", "-c", str(bad), "--returns", os.path.join(ROOT, "demo", "demo_returns.csv")],
                         capture_output=True, text=True)
    assert cli.returncode == 2
    with pytest.raises(trend_engine.ConfigError) as raised:
        trend_engine.run(str(bad), small_frame())
    assert cli.stderr.strip() == f"trend: error: {raised.value}"
    assert isinstance(raised.value, ValueError)
    with pytest.raises(trend_engine.ConfigError, match="multi_period section"):
        trend_engine.run_multi_period(SMALL_CONFIG, small_frame())
    with pytest.raises(trend_engine.ConfigError, match="cannot read the config file"):
        trend_engine.run(str(tmp_path / "missing.yml"), small_frame())
    with pytest.raises(trend_engine.DataError, match="no_such.csv"):
        trend_engine.run(SMALL_CONFIG, str(tmp_path / "no_such.csv"))


def test_warnings_are_python_warnings():
    with pytest.warns(UserWarning, match="unknown key 'colour'"):
        result = trend_engine.run({**SMALL_CONFIG, "colour": "blue"}, small_frame())
    assert any("colour" in w for w in result.warnings)


def test_sweep_returns_a_row_per_configuration():
    config = os.path.join(ROOT, "config", "demo.yml")
    rows = trend_engine.sweep(config, {"portfolio.rank.n": [2, 4, 6], "vol_adjust.target_vol": [0.1, 0.2]}, threads=2)
    assert len(rows) == 6
    assert {"portfolio.rank.n", "vol_adjust.target_vol", "sharpe"} <= set(rows.columns)
    first = rows[(rows["portfolio.rank.n"] == 2) & (rows["vol_adjust.target_vol"] == 0.1)]
    assert len(first) == 1
    # A row is the analysis of its configuration: the same Sharpe as a run of it.
    import yaml

    as_dict = yaml.safe_load(open(config))
    as_dict["data"]["csv_path"] = os.path.join(ROOT, "demo", "demo_returns.csv")
    as_dict["portfolio"]["rank"]["n"] = 2
    as_dict.setdefault("vol_adjust", {})["target_vol"] = 0.1
    single = trend_engine.run(as_dict, warn=False).to_dict()
    assert first["sharpe"].iloc[0] == pytest.approx(single["out_user_stats"]["sharpe"], rel=1e-12)


# ---- the GIL is released while the engine computes

def test_python_threads_compute_at_the_same_time():
    rng = np.random.default_rng(7)
    index = pd.date_range("1995-01-31", periods=360, freq="M")
    frame = pd.DataFrame(rng.normal(0.005, 0.04, (360, 300)), index=index,
                         columns=["RF"] + [f"F{i:03d}" for i in range(299)])
    config = {"data": {"risk_free_column": "RF"}, "portfolio": {"selection_mode": "rank", "weighting_scheme": "hrp",
              "rank": {"inclusion_approach": "top_n", "n": 20, "score_by": "Sharpe"}},
              "sample_split": {"in_start": "1995-01", "in_end": "2014-12", "out_start": "2015-01", "out_end": "2024-12"}}
    trend_engine._native.reset_peak_concurrent_runs()
    start = threading.Barrier(2)

    def work():
        start.wait()
        for _ in range(15):
            trend_engine.run(config, frame, warn=False)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Two runs were inside the engine at once: only possible with the GIL released.
    assert trend_engine._native.peak_concurrent_runs() >= 2
