"""slogen: compile slo.yaml into a Prometheus, Alertmanager and Grafana bundle."""

__version__ = "0.1.0"
__all__ = ["build", "load", "__version__"]


def __getattr__(name: str):  # noqa: ANN202 - lazy, so `slogen.instrument` in an app imports no compiler
    if name in ("build", "load"):
        from generator import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'generator' has no attribute {name!r}")
