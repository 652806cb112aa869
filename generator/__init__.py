"""slogen: compile slo.yaml into a Prometheus, Alertmanager and Grafana bundle."""

from generator.pipeline import build, load

__version__ = "0.1.0"
__all__ = ["build", "load", "__version__"]
