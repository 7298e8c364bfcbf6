"""The registry's writes, one topic per module; read-only questions are in `registry.queries`."""
