{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
{%- set confluent = cookiecutter.broker == "confluent" -%}
"""Broker credentials and TLS: read from `BROKER_*` variables, never shown, and given
to the broker, whose client receives them (checked on a fresh copy of the app, since
it builds its broker on import)."""
{% if not confluent %}
import ssl
{%- endif %}
from pathlib import Path

import pytest
from {{ broker.module }}.security import parse_security
{%- if confluent %}
from faststream.security import SASLScram512
{%- else %}
from faststream.security import SASLPlaintext
{%- endif %}

from {{ cookiecutter.package_name }}.security import BrokerSecurity
from tests.fresh_service import fresh_import

VARIABLES = (
    "BROKER_USERNAME",
    "BROKER_PASSWORD",
    "BROKER_TLS",
    "BROKER_CA_FILE",
{%- if cookiecutter.broker in ("kafka", "confluent") %}
    "BROKER_SASL_MECHANISM",
{%- endif %}
)


@pytest.fixture(autouse=True)
def no_broker_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_without_variables_the_connection_has_no_security() -> None:
    assert BrokerSecurity().security() is None


def test_empty_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.setenv(name, "")

    assert BrokerSecurity().security() is None


def test_the_password_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROKER_PASSWORD", "s3cret-value")

    settings = BrokerSecurity()

    assert "s3cret-value" not in repr(settings)
    assert "s3cret-value" not in str(settings.model_dump())
{%- if confluent %}


def test_credentials_and_tls_become_the_security_object(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("a CA bundle")
    monkeypatch.setenv("BROKER_USERNAME", "orders")
    monkeypatch.setenv("BROKER_PASSWORD", "pw")
    monkeypatch.setenv("BROKER_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("BROKER_CA_FILE", str(ca_file))

    settings = BrokerSecurity()
    security = settings.security()

    assert isinstance(security, SASLScram512)
    assert (security.username, security.password) == ("orders", "pw")
    assert security.use_ssl
    assert settings.config() == {"ssl.ca.location": str(ca_file)}
{%- else %}


def test_credentials_and_tls_become_the_security_object(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BROKER_USERNAME", "orders")
    monkeypatch.setenv("BROKER_PASSWORD", "pw")
    monkeypatch.setenv("BROKER_TLS", "true")

    security = BrokerSecurity().security()

    assert isinstance(security, SASLPlaintext)
    assert (security.username, security.password) == ("orders", "pw")
    assert security.use_ssl
    assert security.ssl_context is not None
    assert security.ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert security.ssl_context.check_hostname


def test_a_ca_file_verifies_the_broker_and_implies_tls(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("a CA bundle")
    monkeypatch.setenv("BROKER_CA_FILE", str(ca_file))
    loaded: list[str | None] = []
    default_context = ssl.create_default_context

    def create_default_context(cafile: str | None = None) -> ssl.SSLContext:
        loaded.append(cafile)
        return default_context()

    monkeypatch.setattr(ssl, "create_default_context", create_default_context)

    security = BrokerSecurity().security()

    assert loaded == [str(ca_file)]
    assert security is not None
    assert security.use_ssl
{%- endif %}


def test_a_missing_ca_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROKER_CA_FILE", "/nonexistent/ca.pem")

    with pytest.raises(ValueError, match="ca_file"):
        BrokerSecurity()


def test_the_settings_reach_the_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROKER_USERNAME", "orders")
    monkeypatch.setenv("BROKER_PASSWORD", "pw-from-env")
    monkeypatch.setenv("BROKER_TLS", "true")

    with fresh_import("app") as (service,):
        security = service.broker.specification.security

    assert security.use_ssl is True
    # What the broker's client is configured with:
    options = parse_security(security).values()
    assert {"orders", "pw-from-env"} <= {str(value) for value in options if value}
