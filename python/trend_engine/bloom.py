"""pybloom-live's filters on Trend Engine's C++ core: change

    from pybloom_live import BloomFilter, ScalableBloomFilter

to

    from trend_engine.bloom import BloomFilter, ScalableBloomFilter

Same constructors, add/in/len/copy/union/intersection, tofile/fromfile in pybloom-live's own
file format (filters written by either load in the other, bit for bit), and pickling.
BloomFilter.add at capacity raises IndexError, as pybloom-live does.
"""

from ._native import bloom as _bloom

BloomFilter = _bloom.BloomFilter
ScalableBloomFilter = _bloom.ScalableBloomFilter
SMALL_SET_GROWTH = _bloom.SMALL_SET_GROWTH
LARGE_SET_GROWTH = _bloom.LARGE_SET_GROWTH
CapacityError = _bloom.CapacityError  # an IndexError, as pybloom-live raises
ShapeError = _bloom.ShapeError  # a ValueError
FilterFileError = _bloom.FilterFileError  # a ValueError

__all__ = ["BloomFilter", "ScalableBloomFilter", "SMALL_SET_GROWTH", "LARGE_SET_GROWTH"]
