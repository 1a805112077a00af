#!/usr/bin/env python3
"""Writes demo/sample_panel.csv: a realistic panel of monthly hedge-fund returns for the web
page's default sample and the README's screenshots.

300 funds from 1999-01 to 2024-12 (312 months), made from a market factor with the dot-com
bear market, the 2008 crisis and the 2020 crash, a trend factor that profits in sustained
moves (crisis alpha), fund-specific skill and noise. Funds start late, close, and miss a few
months; Sharpe ratios spread around 0.4. Also an S&P 500-like index (SPX) and a T-bill-like
risk-free rate (RF). Standard library only, seeded: the file is the same on every machine.
"""
import argparse
import math
import random

FIRMS = [
    "Alder", "Birch", "Cedar", "Dogwood", "Elm", "Fir", "Ginkgo", "Hazel", "Ironwood", "Juniper",
    "Kauri", "Larch", "Maple", "Nutmeg", "Oak", "Pine", "Quince", "Rowan", "Spruce", "Teak",
    "Ulmus", "Viburnum", "Willow", "Yew", "Zelkova", "Aspen", "Beech", "Cypress", "Douglas",
    "Eucalyptus", "Fig", "Gum", "Holly", "Ilex", "Jacaranda", "Koa", "Linden", "Magnolia",
    "Narra", "Olive", "Poplar", "Redwood", "Sequoia", "Tamarack", "Upas", "Walnut", "Acacia",
    "Baobab", "Chestnut", "Dragon",
]
STYLES = ["Trend", "Macro", "Equity L/S", "Multi-Strategy", "Relative Value", "Event"]


def months(first_year, last_year):
    for year in range(first_year, last_year + 1):
        for month in range(1, 13):
            yield year, month


def month_end(year, month):
    days = [31, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28, 31, 30,
            31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return f"{year:04d}-{month:02d}-{days:02d}"


# Market shocks by (year, month): extra monthly return on top of the drift.
SHOCKS = {
    (2000, 4): -0.06, (2000, 9): -0.05, (2000, 11): -0.08, (2001, 2): -0.09, (2001, 3): -0.06,
    (2001, 9): -0.08, (2002, 6): -0.07, (2002, 7): -0.08, (2002, 9): -0.10,
    (2007, 11): -0.04, (2008, 1): -0.06, (2008, 6): -0.08, (2008, 9): -0.09, (2008, 10): -0.17,
    (2008, 11): -0.07, (2009, 2): -0.10, (2009, 3): 0.08, (2009, 4): 0.09,
    (2011, 8): -0.06, (2015, 8): -0.06, (2018, 10): -0.07, (2018, 12): -0.09,
    (2020, 2): -0.08, (2020, 3): -0.13, (2020, 4): 0.12, (2020, 5): 0.05,
    (2022, 1): -0.05, (2022, 4): -0.09, (2022, 6): -0.08, (2022, 9): -0.09,
}


def risk_free(year):
    # Annual T-bill-like rates: 5% around 2000, near zero 2009-2015 and 2020-21, 5% in 2023-24.
    table = {1999: 4.7, 2000: 5.8, 2001: 3.4, 2002: 1.6, 2003: 1.0, 2004: 1.4, 2005: 3.2,
             2006: 4.8, 2007: 4.4, 2008: 1.4, 2016: 0.3, 2017: 0.9, 2018: 1.9, 2019: 2.1,
             2020: 0.4, 2021: 0.05, 2022: 2.0, 2023: 5.0, 2024: 5.1}
    return table.get(year, 0.05) / 100 / 12


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo/sample_panel.csv")
    parser.add_argument("--funds", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20081015)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    calendar = list(months(1999, 2024))
    n = len(calendar)

    market, trend = [], []
    momentum = 0.0
    for year, month in calendar:
        m = 0.0145 + rng.gauss(0, 0.036) + SHOCKS.get((year, month), 0.0)
        market.append(m)
        # The trend factor earns the sign of the recent market move: it gains in long slides.
        momentum = 0.75 * momentum + 0.25 * m
        trend.append(-0.001 + 1.5 * abs(momentum) * (1 if momentum * m > 0 else -0.6) +
                     rng.gauss(0, 0.012))

    funds = []
    used = set()
    while len(funds) < args.funds:
        firm = rng.choice(FIRMS)
        style = rng.choice(STYLES)
        name = f"{firm} {style} {rng.randint(1, 9)}"
        if name in used:
            continue
        used.add(name)
        vol = rng.uniform(0.06, 0.20) / math.sqrt(12)
        beta = {"Trend": rng.uniform(-0.2, 0.2), "Macro": rng.uniform(0.0, 0.3),
                "Equity L/S": rng.uniform(0.3, 0.7)}.get(style, rng.uniform(0.1, 0.4))
        trend_load = {"Trend": rng.uniform(0.6, 1.1), "Macro": rng.uniform(0.2, 0.5)}.get(
            style, rng.uniform(-0.1, 0.15))
        alpha = rng.gauss(0.0, 0.0022)  # monthly skill: most funds earn little after fees
        start = 0 if rng.random() < 0.35 else rng.randint(1, n - 48)
        end = n if rng.random() < 0.7 else rng.randint(start + 36, n)
        gaps = {rng.randint(start, end - 1) for _ in range(rng.choice([0, 0, 0, 1, 2]))}
        series = []
        for t in range(n):
            if t < start or t >= end or t in gaps:
                series.append(None)
                continue
            r = alpha + beta * market[t] + trend_load * trend[t] + rng.gauss(0, vol)
            series.append(max(r, -0.6))
        funds.append((name, series))
    funds.sort()

    with open(args.out, "w", encoding="utf-8", newline="\n") as out:
        out.write("Date,RF,SPX," + ",".join(name for name, _ in funds) + "\n")
        for t, (year, month) in enumerate(calendar):
            cells = [month_end(year, month), f"{risk_free(year):.6f}", f"{market[t]:.6f}"]
            cells += ["" if s[t] is None else f"{s[t]:.6f}" for _, s in funds]
            out.write(",".join(cells) + "\n")


if __name__ == "__main__":
    main()
