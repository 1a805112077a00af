"""trend_engine.bloom against pybloom-live: the files pybloom-live wrote read back with its
answers, our files are its files byte for byte, and the API behaves as its does (add's return,
len, capacity, union, intersection, copy, pickling, non-string keys)."""

import io
import json
import os
import pickle
import sys

import pytest

from trend_engine import bloom

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INTEROP = os.path.join(ROOT, "tests", "bloom", "pybloom_live")
EXPECTED = json.load(open(os.path.join(INTEROP, "expected.json")))
KEYS_IN = open(os.path.join(INTEROP, "keys_in.txt"), encoding="utf-8").read().splitlines()
KEYS_OUT = open(os.path.join(INTEROP, "keys_out.txt"), encoding="utf-8").read().splitlines()
PEER = os.path.join(ROOT, "..", "shared", "peers", "bloom", "pybloom-live")


def read(name):
    with open(os.path.join(INTEROP, name), "rb") as f:
        return f.read()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_pybloom_live_files_answer_as_pybloom_live(name):
    kind = bloom.ScalableBloomFilter if name.startswith("scalable") else bloom.BloomFilter
    with open(os.path.join(INTEROP, name), "rb") as f:
        f_ = kind.fromfile(f)
    expected = EXPECTED[name]
    assert len(f_) == expected["count"]
    if name.endswith("_bytes.bloom"):
        added = [i.to_bytes(8, "little") for i in range(1000)]
        probes = [i.to_bytes(8, "little") for i in range(1000, 11000)]
        offset = 1000
    else:
        added, probes, offset = KEYS_IN, KEYS_OUT, 0
    assert all(k in f_ for k in added)
    positives = [i + offset for i, k in enumerate(probes) if k in f_]
    assert positives == expected.get("false_positives_in_keys_out", expected.get("false_positives_for_1000_to_10999"))
    out = io.BytesIO()
    f_.tofile(out)
    assert out.getvalue() == read(name)


def test_filters_built_here_are_pybloom_lives_files_byte_for_byte():
    fixed = bloom.BloomFilter(capacity=10000, error_rate=0.001)
    for k in KEYS_IN:
        fixed.add(k)
    small = bloom.ScalableBloomFilter(initial_capacity=1000, error_rate=0.01, mode=bloom.SMALL_SET_GROWTH)
    large = bloom.ScalableBloomFilter(initial_capacity=1000, error_rate=0.01, mode=bloom.LARGE_SET_GROWTH)
    for k in KEYS_IN:
        small.add(k)
        large.add(k)
    raw = bloom.BloomFilter(1000, 0.01)
    for i in range(1000):
        raw.add(i.to_bytes(8, "little"))
    for f_, name in [(fixed, "fixed_10000_p0.001.bloom"), (small, "scalable_1000_p0.01_small.bloom"),
                     (large, "scalable_1000_p0.01_large.bloom"), (raw, "fixed_1000_p0.01_bytes.bloom")]:
        out = io.BytesIO()
        f_.tofile(out)
        assert out.getvalue() == read(name), name


def test_the_api_behaves_as_pybloom_lives():
    f_ = bloom.BloomFilter(capacity=3, error_rate=0.01)
    assert (f_.capacity, f_.error_rate, f_.count) == (3, 0.01, 0)
    assert f_.add("a") is False
    assert f_.add("a") is True  # a repeat is reported and not counted
    assert f_.add(42) is False and "42" in f_ and 42 in f_  # non-strings hash as str(key)
    assert f_.add("b", skip_check=True) is False
    assert len(f_) == 3
    with pytest.raises(IndexError, match="at capacity"):
        f_.add("c")
    g = f_.copy()
    assert "a" in g and len(g) == 3
    other = bloom.BloomFilter(capacity=3, error_rate=0.01)
    other.add("z")
    assert "z" in (f_ | other) and "a" in f_.union(other)
    assert "a" in (f_ & f_.copy())
    assert "a" not in (f_ & bloom.BloomFilter(capacity=3, error_rate=0.01))  # no shared bits
    with pytest.raises(ValueError):
        f_.union(bloom.BloomFilter(capacity=4, error_rate=0.01))
    again = pickle.loads(pickle.dumps(f_))
    assert "a" in again and len(again) == len(f_)
    with pytest.raises(ValueError, match="n too small"):
        bloom.BloomFilter.fromfile(io.BytesIO(b"x" * 50), 10)
    s = bloom.ScalableBloomFilter(initial_capacity=10, error_rate=0.01)
    assert s.add("x") is False and s.add("x") is True
    for i in range(100):
        s.add(i)
    assert len(s) <= 101 and s.capacity >= 100 and len(s.filters) > 1
    assert "x" in pickle.loads(pickle.dumps(s))


@pytest.mark.skipif(not os.path.isdir(PEER), reason="../shared/peers/bloom/pybloom-live is not beside the repo")
def test_same_answers_as_pybloom_live_itself():
    sys.path.insert(0, PEER)
    try:
        import pybloom_live
    finally:
        sys.path.pop(0)
    theirs = pybloom_live.BloomFilter(500, 0.01)
    ours = bloom.BloomFilter(500, 0.01)
    # 23 and 24 bytes: after SHA-256's 32-byte salt, the last key that fits one block and the first that does not.
    keys = [f"k{i % 400}" for i in range(500)] + [b"raw", 7, 3.5, "y" * 23, "z" * 24, "long " * 20]
    assert [ours.add(k) for k in keys] == [theirs.add(k) for k in keys]
    assert len(ours) == len(theirs)
    probes = [f"p{i}" for i in range(2000)]
    assert [p in ours for p in probes] == [p in theirs for p in probes]
    buffer = io.BytesIO()
    theirs.tofile(buffer)
    mine = io.BytesIO()
    ours.tofile(mine)
    assert mine.getvalue() == buffer.getvalue()
    # Every digest pybloom-live picks by size: xxh128 above; SHA-1, SHA-256, SHA-384, SHA-512
    # here (batches of SHA-384 and SHA-512 go eight keys at a time where the CPU has AVX-512).
    for capacity, rate in [(20000, 0.001), (200000, 0.01), (200000, 0.001), (100000, 0.0001)]:
        theirs, ours = pybloom_live.BloomFilter(capacity, rate), bloom.BloomFilter(capacity, rate)
        for k in keys:
            theirs.add(k)
        ours.update(keys)
        buffer, mine = io.BytesIO(), io.BytesIO()
        theirs.tofile(buffer)
        ours.tofile(mine)
        assert mine.getvalue() == buffer.getvalue(), (capacity, rate)
        assert ours.contains_many(probes) == [p in theirs for p in probes]
    ts = pybloom_live.ScalableBloomFilter(100, 0.01, pybloom_live.ScalableBloomFilter.SMALL_SET_GROWTH)
    os_ = bloom.ScalableBloomFilter(100, 0.01, bloom.SMALL_SET_GROWTH)
    assert [os_.add(k) for k in keys] == [ts.add(k) for k in keys]
    assert (len(os_), os_.capacity) == (len(ts), ts.capacity)


def test_update_and_contains_many_answer_as_a_loop_of_add_and_in():
    # Enough keys that the batch is hashed on several threads (2,048 and up), with repeats.
    keys = [f"k{i % 7000}" for i in range(9000)] + [b"raw", 7, 3.5, "ünïcode"]
    probes = keys[::3] + [f"absent-{i}" for i in range(5000)]
    for capacity, rate in [(10000, 0.01), (10000, 0.001), (200, 0.5)]:
        looped = bloom.BloomFilter(capacity, rate)
        batched = bloom.BloomFilter(capacity, rate)
        try:
            for k in keys:
                looped.add(k)
        except IndexError:
            with pytest.raises(IndexError, match="at capacity"):
                batched.update(keys)
        else:
            assert batched.update(iter(keys)) is None  # any iterable, as set.update
        assert len(batched) == len(looped)
        a, b = io.BytesIO(), io.BytesIO()
        looped.tofile(a)
        batched.tofile(b)
        assert a.getvalue() == b.getvalue(), (capacity, rate)
        assert batched.contains_many(probes) == [p in looped for p in probes]
    s_loop = bloom.ScalableBloomFilter(100, 0.01)
    s_batch = bloom.ScalableBloomFilter(100, 0.01)
    for k in keys:
        s_loop.add(k)
    s_batch.update(keys)
    assert (len(s_batch), s_batch.capacity) == (len(s_loop), s_loop.capacity)
    assert s_batch.contains_many(probes) == [p in s_loop for p in probes]
    with pytest.raises(TypeError, match="iterable"):
        bloom.BloomFilter(10, 0.01).update(5)


def test_add_and_in_take_pybloom_lives_arguments_and_refuse_others():
    f_ = bloom.BloomFilter(10, 0.01)
    assert f_.add(key="a") is False and f_.add("a", skip_check=False) is True
    assert f_.add("b", True) is False and "b" in f_ and f_.__contains__("b")
    for bad in [lambda: f_.add(), lambda: f_.add("a", False, 1), lambda: f_.add("a", nope=1),
                lambda: f_.add("a", key="b"), lambda: bloom.ScalableBloomFilter().add()]:
        with pytest.raises(TypeError):
            bad()

    class Unprintable:
        def __str__(self):
            raise RuntimeError("no str")

    with pytest.raises(RuntimeError, match="no str"):
        f_.add(Unprintable())
    with pytest.raises(RuntimeError, match="no str"):
        Unprintable() in f_  # noqa: B015
    # A subclass keeps the fast paths' answers.

    class Mine(bloom.BloomFilter):
        pass

    m = Mine(10, 0.01)
    assert m.add("a") is False and "a" in m and "z" not in m
    with pytest.raises(TypeError, match="__init__"):
        bloom.BloomFilter.__new__(bloom.BloomFilter).add("a")
