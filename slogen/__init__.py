"""slogen for applications: `slogen.instrument` makes a service emit the series its bundle reads.

`slogen.context(feature=..., user=...)` sets the feature and user of the calls made inside it."""

from slogen._context import context

__all__ = ["context"]
