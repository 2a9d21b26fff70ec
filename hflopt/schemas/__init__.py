"""JSON Schema files shipped with hflopt (data only)."""
