"""Loading configuration files into the core's frozen data (the only place that reads them)."""
