"""The reference's config objects as the plain dict Trend Engine reads."""

SECTIONS = ("version", "data", "preprocessing", "vol_adjust", "sample_split", "portfolio", "benchmarks",
            "metrics", "export", "output", "run", "multi_period", "regime", "signals", "seed", "jobs",
            "checkpoint_dir", "performance")


def config_dict(cfg):
    """A dict of the config's sections from a dict, a pydantic model or an attribute object."""
    if isinstance(cfg, dict):
        return {k: v for k, v in cfg.items() if v is not None}
    for dump in ("model_dump", "dict"):
        method = getattr(cfg, dump, None)
        if callable(method):
            return {k: v for k, v in method().items() if v is not None}
    out = {}
    for section in SECTIONS:
        value = getattr(cfg, section, None)
        if value is not None:
            out[section] = value
    if not out:
        raise TypeError(f"cfg: expected a Config, a dict or an object with config sections, not {type(cfg).__name__}")
    return out
