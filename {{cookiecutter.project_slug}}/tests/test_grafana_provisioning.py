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
