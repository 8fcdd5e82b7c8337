"""The generated README's per-broker paragraphs are Markdown files in `templates/`,
edited as prose; `cookiecutter.json` keeps to data (labels, names, numbers, short
phrases). Each README renders its own broker's paragraphs exactly as written, and no
other broker's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.template import BROKER_TABLE, BROKERS, CONTEXT, INCLUDES_DIR, broker_prose

# Longer than this, a string is a paragraph: it belongs in a Markdown file.
LONGEST_DATA_STRING = 240

# Each paragraph file and how the README places it: its own paragraph, or inside a
# sentence (so its trailing newline must not reach the README).
PARAGRAPHS = {"delivery.md": "\n{}\n"}
IN_SENTENCE = {
    "consumer_group.md": " {} ",
    "replicas.md": " {}\n",
    "autoscaling.md": " {} ",
}
PLACES = PARAGRAPHS | IN_SENTENCE
# Paragraphs inside a list item: their wrapped lines are indented to the item's text.
INDENTS = {"autoscaling.md": "  "}


def strings(value: object, where: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [
            p for key, item in value.items() for p in strings(item, f"{where}.{key}")
        ]
    if isinstance(value, list):
        return [
            p for i, item in enumerate(value) for p in strings(item, f"{where}[{i}]")
        ]
    return [(where, value)] if isinstance(value, str) else []


def test_cookiecutter_json_holds_no_paragraphs() -> None:
    long = {
        where: len(text)
        for where, text in strings(CONTEXT)
        if len(text) > LONGEST_DATA_STRING
    }

    assert long == {}


def test_every_broker_has_its_paragraphs_and_every_folder_a_broker() -> None:
    folders = {str(spec["prose_folder"]) for spec in BROKER_TABLE.values()}
    on_disk = {
        path.parent.relative_to(INCLUDES_DIR).as_posix()
        for path in INCLUDES_DIR.rglob("*.md")
    }

    assert on_disk == folders
    for folder in folders:
        names = sorted(path.name for path in (INCLUDES_DIR / folder).iterdir())
        assert names == sorted(PLACES), folder
        for name in names:
            text = (INCLUDES_DIR / folder / name).read_text()
            assert text.strip(), f"{folder}/{name} is empty"


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("broker", BROKERS)
def test_the_readme_renders_its_brokers_paragraphs_as_written(
    cookies: Any, broker: str
) -> None:
    result = cookies.bake(extra_context={"broker": broker})
    assert result.exit_code == 0, result.exception
    readme = (Path(result.project_path) / "README.md").read_text()
    # Nothing of the template repository's `templates/` is copied into a project.
    assert not (Path(result.project_path) / "templates").exists()

    for name, place in PLACES.items():
        mine = broker_prose(broker, name).replace("\n", "\n" + INDENTS.get(name, ""))
        assert readme.count(place.format(mine)) == 1, name
        for other in BROKERS:
            theirs = words(broker_prose(other, name))
            if theirs != words(mine):
                assert theirs not in words(readme), (
                    f"{other}'s {name} in a {broker} README"
                )
