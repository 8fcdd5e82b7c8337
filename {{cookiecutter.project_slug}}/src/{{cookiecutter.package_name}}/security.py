{%- set kafka = cookiecutter.broker in ("kafka", "confluent") -%}
{%- set confluent = cookiecutter.broker == "confluent" -%}
"""Credentials and TLS for the broker connection, from the environment.

`BROKER_USERNAME` and `BROKER_PASSWORD` authenticate the service to the broker
{%- if kafka %}
(SASL, `PLAIN` unless `BROKER_SASL_MECHANISM` names a SCRAM mechanism){% endif %};
`BROKER_TLS=true` encrypts the connection and verifies the broker's certificate, against
the system's CAs or the bundle in `BROKER_CA_FILE` (which implies TLS). None of them
has a default: without them the service connects as `BROKER_URL` alone says. They
become FastStream's security object, which the broker turns into its client's options.
"""
{% if not confluent %}
import ssl
{%- endif %}
{%- if kafka %}
from typing import Literal
{%- endif %}

{% if confluent -%}
from faststream.confluent import ConfluentConfig
{% endif -%}
{% if kafka -%}
from faststream.security import (
    BaseSecurity,
    SASLPlaintext,
    SASLScram256,
    SASLScram512,
)
{%- else -%}
from faststream.security import BaseSecurity, SASLPlaintext
{%- endif %}
from pydantic import Field, FilePath, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
{%- if kafka %}

MECHANISMS: dict[str, type[SASLPlaintext | SASLScram256 | SASLScram512]] = {
    "PLAIN": SASLPlaintext,
    "SCRAM-SHA-256": SASLScram256,
    "SCRAM-SHA-512": SASLScram512,
}
{%- endif %}


class BrokerSecurity(BaseSettings):
    """`BROKER_*` variables; the password is a secret: its repr shows no value."""

    model_config = SettingsConfigDict(env_prefix="BROKER_", env_ignore_empty=True)

    username: str | None = Field(
        default=None,
        min_length=1,
        description="User the service authenticates as (BROKER_USERNAME).",
    )
    password: SecretStr | None = Field(
        default=None,
        description="Its password (BROKER_PASSWORD); alone, a password-only login.",
    )
    tls: bool = Field(
        default=False,
        description="Encrypt the connection with TLS (BROKER_TLS).",
    )
    ca_file: FilePath | None = Field(
        default=None,
        description="CA bundle that verifies the broker (BROKER_CA_FILE); implies TLS.",
    )
{%- if kafka %}
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        default="PLAIN",
        description="SASL mechanism for the credentials (BROKER_SASL_MECHANISM).",
    )
{%- endif %}

    @property
    def uses_tls(self) -> bool:
        return self.tls or self.ca_file is not None
{%- if confluent %}

    def security(self) -> BaseSecurity | None:
        """What the broker is given as `security=`; TLS verification settings go in
        `config()` (confluent-kafka takes no `ssl.SSLContext`)."""
        if self.username is None and self.password is None:
            return BaseSecurity(use_ssl=True) if self.uses_tls else None
        password = self.password.get_secret_value() if self.password else ""
        mechanism = MECHANISMS[self.sasl_mechanism]
        return mechanism(self.username or "", password, use_ssl=self.uses_tls)

    def config(self) -> ConfluentConfig:
        """librdkafka settings: the CA bundle, if one is given."""
        return {"ssl.ca.location": str(self.ca_file)} if self.ca_file else {}
{%- else %}

    def ssl_context(self) -> ssl.SSLContext | None:
        """A client context that verifies the broker's certificate and host name."""
        if not self.uses_tls:
            return None
        cafile = str(self.ca_file) if self.ca_file else None
        return ssl.create_default_context(cafile=cafile)

    def security(self) -> BaseSecurity | None:
        """What the broker is given as `security=`."""
        context = self.ssl_context()
        if self.username is None and self.password is None:
            return BaseSecurity(ssl_context=context) if context else None
        password = self.password.get_secret_value() if self.password else ""
{%- if kafka %}
        mechanism = MECHANISMS[self.sasl_mechanism]
        return mechanism(self.username or "", password, ssl_context=context)
{%- else %}
        return SASLPlaintext(self.username or "", password, ssl_context=context)
{%- endif %}
{%- endif %}
