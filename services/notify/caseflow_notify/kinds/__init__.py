"""Channel kinds as plug-ins: base.py says what a kind is, registry.py lists them."""
