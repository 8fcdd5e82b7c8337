"""Refuse answers that cannot produce a working project, before anything is written.

Cookiecutter renders this file with Jinja, then runs it; a non-zero exit makes it
delete the output directory. The answers arrive as JSON literals, so no quote or
backslash typed at a prompt can change the code. Tests import this module and call
its functions directly.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
import unicodedata
from typing import Any

# Cookiecutter's own dependency, so there wherever a hook runs (cruft included).
from slugify import slugify

SUPPORTED_PYTHON = ("3.11", "3.12", "3.13")

# Distributions the generated project depends on (or whose import names it uses):
# a package of the same name would shadow them on sys.path.
RESERVED_NAMES = frozenset(
    {
        "aio_pika",
        "aiokafka",
        "anyio",
        "confluent_kafka",
        "deprecated",
        "fast_depends",
        "faststream",
        "google",
        "grpc",
        "mypy",
        "nats",
        "opentelemetry",
        "pydantic",
        "pydantic_settings",
        "pytest",
        "redis",
        "requests",
        "ruff",
        "tests",
        "thrift",
        "typing_extensions",
        "zmqtt",
    }
)

# Free-text answers: one line each, written as data into README.md and pyproject.toml.
FREE_TEXT = ("project_name", "description", "author")

# Free text that must not be blank: the README's title, and the author's name (a
# build backend refuses an entry in `authors` without one).
REQUIRED_TEXT = ("project_name", "author")

# Cookiecutter renders `--no-input` answers as Jinja templates before any hook runs.
# (Spelled in pieces: this file is itself rendered by Jinja.)
JINJA_OPENERS = ("{" + "{", "{" + "%", "{" + "#")

# Line breaks, control characters and lone surrogates: none belongs in one line of
# text, and TOML cannot hold most of them unescaped.
REFUSED_CATEGORIES = {"Cc": "a control character", "Cs": "a lone surrogate"}
REFUSED_CATEGORIES |= dict.fromkeys(("Zl", "Zp"), "a line break")

# Each choice and the table that lists its valid values (one source of truth).
CHOICE_TABLES = {"broker": "_brokers", "exporter": "_exporters", "backend": "_backends"}

# A distribution name may start with a digit ("24h-delivery-service").
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")

# Put before a package name derived from a slug that starts with a digit, so that
# it is an identifier ("service_24h_delivery_service"); cookiecutter.json says the same.
DIGIT_PREFIX = "service_"

# The package name appears in import lines; longer ones would not fit the project's
# 88-column lines, and the generated code must be formatted as generated.
MAX_PACKAGE_LENGTH = 40

# (exporter, backend) pairs that cannot deliver spans, with what to choose instead.
# (Exporters a backend cannot receive reach it through an OpenTelemetry Collector:
# `collector_for` in the `_backends` table.)
REFUSED_COMBINATIONS: dict[tuple[str, str], str] = {
    ("console", backend): (
        f"exporter 'console' prints spans to stdout, so backend '{backend}' would "
        "receive nothing. Choose backend 'none', or an exporter that sends spans "
        "(otlp-grpc, otlp-http)."
    )
    for backend in ("jaeger", "zipkin", "tempo", "lgtm")
}
# grafana/otel-lgtm is where the three signals meet, all pushed over OTLP: the other
# exporters send spans alone (no metrics, no logs), in formats it does not take.
REFUSED_COMBINATIONS |= {
    (exporter, "lgtm"): (
        f"backend 'lgtm' holds traces, metrics and logs, all sent over OTLP; "
        f"exporter '{exporter}' sends only spans, and not over OTLP. Choose exporter "
        "otlp-grpc or otlp-http, or another backend (jaeger, zipkin, tempo, none)."
    )
    for exporter in ("jaeger", "zipkin")
}


def slug_errors(slug: str, name: str) -> list[str]:
    if not any(character.isalnum() for character in slug):
        # cookiecutter.json derives '-' when the name has nothing to slugify.
        return [
            f"project_slug {slug!r} has no letters or digits: project_name "
            f"{name!r} has none to make it from. Give a project_name with some, or "
            "a project_slug (for example 'order-service')."
        ]
    if not SLUG_PATTERN.match(slug):
        return [
            f"project_slug {slug!r} must be lower-case letters and digits joined by "
            "single '-' or '_' separators (for example 'order-service')."
        ]
    return []


def derived_slug(name: str) -> str:
    """The slug cookiecutter.json derives from the project name (the same slugify)."""
    return slugify(name) or "-"


def derived_package(slug: str) -> str:
    """The package name cookiecutter.json derives from the slug."""
    package = slug.replace("-", "_")
    return DIGIT_PREFIX + package if package[:1].isdigit() else package


def package_source(answers: dict[str, Any]) -> str:
    """Which answer to change when a derived package name is refused (a given one's
    error says enough)."""
    name, slug = answers["project_name"], answers["project_slug"]
    if answers["package_name"] != derived_package(slug):
        return ""
    if slug == derived_slug(name):
        return (
            f"It was derived from project_name {name!r}: give another "
            "project_name, or a package_name."
        )
    return (
        f"It was derived from project_slug {slug!r}: give another project_slug, "
        "or a package_name."
    )


def package_errors(package: str) -> list[str]:
    if not package.isidentifier() or not package.isascii():
        return [
            f"package_name {package!r} is not a valid Python identifier: use ASCII "
            "letters, digits and underscores, starting with a letter (for example "
            "'order_service')."
        ]
    if keyword.iskeyword(package) or keyword.issoftkeyword(package):
        return [f"package_name {package!r} is a Python keyword; choose another name."]
    if len(package) > MAX_PACKAGE_LENGTH:
        return [
            f"package_name {package!r} is {len(package)} characters long; keep it to "
            f"{MAX_PACKAGE_LENGTH} or fewer."
        ]
    if package != package.lower():
        return [f"package_name {package!r} must be lower case (PEP 8)."]
    if package.lower() in RESERVED_NAMES or package in sys.stdlib_module_names:
        return [
            f"package_name {package!r} would shadow the module of that name that the "
            "project imports; choose another name (for example "
            f"'{package}_service')."
        ]
    return []


def python_errors(version: str) -> list[str]:
    if version not in SUPPORTED_PYTHON:
        return [
            f"python_version {version!r} is not supported; FastStream 0.7 runs on "
            f"{', '.join(SUPPORTED_PYTHON)}."
        ]
    return []


def free_text_errors(key: str, value: str, typed: str) -> list[str]:
    """`typed` is the answer before cookiecutter rendered it (for an answer typed at
    the prompt, the default it replaced)."""
    for text in (typed, value):
        opener = next((o for o in JINJA_OPENERS if o in text), None)
        if opener is not None:
            became = f" (it became {value!r})" if text != value else ""
            return [
                f"{key} {text!r} contains {opener!r}, which cookiecutter reads as "
                f"Jinja template syntax{became}; type plain text without "
                f"{', '.join(map(repr, JINJA_OPENERS))}."
            ]
    if key in REQUIRED_TEXT and not value.strip():
        return [f"{key} is empty; type a name."]
    for character in value:
        kind = REFUSED_CATEGORIES.get(unicodedata.category(character))
        if kind is not None:
            return [
                f"{key} {value!r} contains {kind} (U+{ord(character):04X}); type "
                "one line of text."
            ]
    return []


def choice_errors(answers: dict[str, Any]) -> list[str]:
    errors = []
    for key, table in CHOICE_TABLES.items():
        valid = sorted(answers[table])
        if answers[key] not in valid:
            errors.append(
                f"{key} {answers[key]!r} is not one of the choices: {', '.join(valid)}."
            )
    return errors


def combination_errors(exporter: str, backend: str) -> list[str]:
    reason = REFUSED_COMBINATIONS.get((exporter, backend))
    return [reason] if reason else []


def validate(answers: dict[str, Any], typed: dict[str, Any] | None = None) -> list[str]:
    """Every problem with the answers, each a sentence that says what to do.

    `typed` holds the answers as given, before cookiecutter rendered them."""
    typed = answers if typed is None else typed
    slug = answers["project_slug"]
    # Without a slug there is no name to check (its error says what to do).
    unnamed = not any(character.isalnum() for character in slug)
    return [
        *(
            error
            for key in FREE_TEXT
            for error in free_text_errors(key, answers[key], typed[key])
        ),
        *slug_errors(slug, answers["project_name"]),
        *(
            f"{error} {package_source(answers)}".rstrip()
            for error in ([] if unnamed else package_errors(answers["package_name"]))
        ),
        *python_errors(answers["python_version"]),
        *choice_errors(answers),
        *combination_errors(answers["exporter"], answers["backend"]),
    ]


def main(answers: dict[str, Any], typed: dict[str, Any] | None = None) -> int:
    errors = validate(answers, typed)
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(
        main(
            json.loads(r"""{{ cookiecutter | tojson }}"""),
            # cruft gives no `_cookiecutter` (the answers before rendering): null.
            json.loads(r"""{{ _cookiecutter | default(none) | tojson }}"""),
        )
    )
