"""Drop-in entry points of the Python Trend Model Project (stranske/Trend_Model_Project):

    from trend_engine.compat import pipeline          # was: from trend_analysis import pipeline
    from trend_engine.compat import multi_period      # was: from trend_analysis import multi_period

    table = pipeline.run(cfg)              # DataFrame of out-of-sample statistics per fund
    result = pipeline.run_full(cfg)        # PipelineResult(value=dict, diagnostic=None)
    periods = multi_period.run(cfg, df)    # one result dict per period

``cfg`` is what the reference takes: its ``Config`` object (anything with ``model_dump()`` or
attributes per section) or a plain dict of the YAML's sections. The numbers are Trend Engine's:
the reference's, except where it contradicts its own config (docs/differences.md, D1-D6), where
the config wins; ``pipeline.run`` therefore applies ``portfolio.weighting_scheme`` too.
"""

from . import multi_period, pipeline

__all__ = ["pipeline", "multi_period"]
