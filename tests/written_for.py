"""What a generated project must not contain: traces of the brokers it was not made
for, leftovers of templating, empty files, and pointers into the template repository.
A generated project should read as if written by hand for its one broker."""

from __future__ import annotations

import re
from pathlib import Path

from tests.template import BROKER_TABLE

# Templating that renders to code nobody would write by hand.
LEFTOVERS = {
    'an empty string joined to a name ("" + x)': re.compile(r'""\s*\+'),
    'a constant that is empty (PREFIX = "")': re.compile(r'^[A-Z_]+ = ""$', re.M),
    "a placeholder replaced at run time": re.compile(r'\.replace\("\{\w+\}"'),
    "an <org> placeholder": re.compile(r"<org>"),
    "a file of the template repository": re.compile(r"docs/performance\.md"),
}

# A library's internals reached from generated code: a private module, a private
# attribute of an object that is not the code's own (`self`), or a private logger.
PRIVATE_API = re.compile(
    r"(?:from|import)\s+[\w.]*\._\w+|\b(?!self\b)\w+\._[a-z]\w*"
    r"|getLogger\(\s*[\"'][^\"']*\._"
)


def own_terms(broker: str) -> set[str]:
    return {str(term) for term in BROKER_TABLE[broker]["own_terms"]}  # type: ignore[attr-defined]


def foreign_terms(broker: str) -> dict[str, re.Pattern[str]]:
    """Each other broker's words that this broker's project has no use for, also at
    the end of a longer name (`BROKER_SASL_MECHANISM` names `SASL_MECHANISM`)."""
    mine = {term.lower() for term in own_terms(broker)}
    return {
        term: re.compile(rf"(?<![A-Za-z0-9$]){re.escape(term)}", re.IGNORECASE)
        for other in BROKER_TABLE
        if other != broker
        for term in own_terms(other)
        if term.lower() not in mine
    }


def problems(project: Path, broker: str) -> list[str]:
    found = []
    foreign = foreign_terms(broker)
    for path in sorted(project.rglob("*")):
        hidden = any(
            part.startswith(".") and part.endswith(("venv", "cache", "git"))
            for part in path.relative_to(project).parts
        )
        if not path.is_file() or hidden:
            continue
        name = path.relative_to(project)
        text = path.read_text(errors="replace")
        if not text.strip():
            found.append(f"{name}: empty file")
        for what, pattern in LEFTOVERS.items():
            if match := pattern.search(text):
                found.append(f"{name}: {what}: {match.group(0)!r}")
        if path.suffix == ".py" and (match := PRIVATE_API.search(text)):
            found.append(f"{name}: private API: {match.group(0)!r}")
        for term, pattern in foreign.items():
            if match := pattern.search(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{name}:{line}: {term!r} in a {broker} project")
    return found
