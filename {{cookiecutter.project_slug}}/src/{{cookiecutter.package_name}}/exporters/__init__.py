"""The span exporter chosen when the project was generated."""
