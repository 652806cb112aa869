"""slogen for applications: `slogen.instrument` makes a service emit the series its bundle reads."""
