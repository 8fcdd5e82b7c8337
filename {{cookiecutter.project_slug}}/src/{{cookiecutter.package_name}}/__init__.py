"""The {{ cookiecutter.package_name }} service: FastStream handlers traced with OpenTelemetry."""
