"""The service's tests: in memory by default, `-m integration` on the real broker."""
