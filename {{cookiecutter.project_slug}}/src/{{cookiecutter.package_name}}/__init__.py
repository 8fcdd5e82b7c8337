"""A FastStream service traced with OpenTelemetry: see README.md."""
