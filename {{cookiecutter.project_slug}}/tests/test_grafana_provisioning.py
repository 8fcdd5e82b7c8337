{%- set backend = cookiecutter._backends[cookiecutter.backend] -%}
"""Grafana's provisioning, cross-checked: every data source has a fixed uid of its
own, and every uid that a link between data sources or a dashboard panel names is
one of them (a wrong one fails only when someone clicks)."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

COMPOSE = Path(__file__).parents[1] / "compose"


def data_sources() -> list[dict[str, Any]]:
    (path,) = COMPOSE.glob("*/datasources.yaml")
    return list(yaml.safe_load(path.read_text())["datasources"])


def dashboards() -> list[Any]:
    return [json.loads(path.read_text()) for path in COMPOSE.glob("grafana/*.json")]


def uids_named(node: Any) -> Iterator[str]:
    """Every data source uid a provisioning file or dashboard names: links
    (`datasourceUid`) and panels' or variables' `datasource`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasourceUid":
                yield value
            elif key == "datasource" and isinstance(value, dict) and "uid" in value:
                yield value["uid"]
            else:
                yield from uids_named(value)
    elif isinstance(node, list):
        for item in node:
            yield from uids_named(item)


def test_every_data_source_has_a_fixed_uid_of_its_own() -> None:
    uids = [source.get("uid") for source in data_sources()]

    assert all(uids), uids
    assert len(set(uids)) == len(uids), uids


def test_every_uid_a_link_or_panel_names_exists() -> None:
    defined = {source["uid"] for source in data_sources()}

    named = set(uids_named(data_sources())) | set(uids_named(dashboards()))

    assert "prometheus" in named  # the dashboard's panels, at least
    assert named <= defined, f"unknown uids: {sorted(named - defined)}"
{%- if backend.grafana_datasource %}


def test_an_exemplar_opens_its_trace_in_{{ cookiecutter.backend }}() -> None:
    """Prometheus keeps an exemplar's trace id under `trace_id` (OTLP's exemplars,
    Tempo's too): Grafana turns it into a link to the trace data source."""
    by_type = {source["type"]: source for source in data_sources()}
    prometheus = by_type["prometheus"]
    trace_source = by_type["{{ backend.grafana_datasource.type }}"]

    (destination,) = prometheus["jsonData"]["exemplarTraceIdDestinations"]
    assert destination == {"name": "trace_id", "datasourceUid": trace_source["uid"]}
{%- endif %}
{%- if cookiecutter.backend in ["tempo", "lgtm"] %}


def test_tempo_shows_the_service_map_from_prometheus() -> None:
    by_type = {source["type"]: source for source in data_sources()}

    service_map = by_type["tempo"]["jsonData"]["serviceMap"]
    assert service_map["datasourceUid"] == by_type["prometheus"]["uid"]
{%- endif %}
