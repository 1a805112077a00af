"""The README's Python example runs as it is written (from the repository's root)."""

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_the_readme_example_runs(monkeypatch, capsys):
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    block = re.search(r"<!-- readme-python-example[^>]*-->\n```python\n(.*?)```", text, re.S)
    assert block, "the README has no marked Python example"
    monkeypatch.chdir(ROOT)
    namespace = {}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(block.group(1), "README.md", "exec"), namespace)
    assert len(namespace["rows"]) == 6
    assert namespace["doc"]["selected_funds"]
    printed = capsys.readouterr().out
    assert "portfolio.rank.n = '0': expected a value in [1, 100000]" in printed
