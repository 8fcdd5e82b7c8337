"""Whatever is typed as the project name, description or author (property-based, with
quotes, backslashes, line breaks, non-ASCII letters, Jinja delimiters, TOML, YAML and
Markdown specials): either refused with a message and no output directory, or a
project that parses, lints clean and holds the text as data and nowhere else.

Each case is generated twice: with the answers given, and with plain ones and the same
names. Every file but README.md and pyproject.toml must come out byte for byte the
same, those two must differ by the answers alone, and the hooks cookiecutter ran must
be the same code as the hook files, the answers only in their string literals. The
cases are derandomized, so CI tries the same ones every run; the counts of each
outcome are printed at the end of the session. The nastiest answers accepted are
also installed, their project's tests run and its metadata read back.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cookiecutter.hooks
import cookiecutter.prompt
import pytest
import yaml
from cookiecutter.exceptions import CookiecutterException
from cookiecutter.main import cookiecutter as bake
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import TemplateError

from tests.conftest import run_cookiecutter
from tests.projects import install, pytest_counts, uv
from tests.template import (
    CONTEXT,
    PYTHON_VERSIONS,
    TEMPLATE_DIR,
    all_combinations,
    refusal,
)

EXAMPLES = 150

FRAGMENTS = [
    '"',
    "'",
    '"""',
    "'''",
    "\\",
    "\\n",
    "\n",
    "\r\n",
    "\t",
    "\x00",
    "\x7f",
    "\u2028",
    "{{ 7*7 }}",
    "{{",
    "{% raw %}",
    "{% endraw %}",
    "{#",
    "}}",
    "%}",
    "#}",
    "${{ secrets.TOKEN }}",
    '"""; import os; os.system("id"); """',
    "'); __import__('os').system('id'); ('",
    'key = "value"',
    "[tool.ruff]",
    "# not a comment",
    ": ",
    "- item",
    "&anchor",
    "*alias",
    "!!python/object/apply:os.system",
    "---",
    "| >",
    "@",
    "`code`",
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "Zoë",
    "Åsa",
    "Заказы",
    "注文",
    "😀",
    "\u202e",
    "👨\u200d👩\u200d👧",
    " ",
]

# One line of text the hook lets through: anything but control characters, line
# breaks and Jinja's opening delimiters.
REFUSED = ("\n", "\r\n", "\t", "\x00", "\x7f", "\u2028", "{")
plain_text = st.lists(
    st.one_of(
        st.sampled_from([f for f in FRAGMENTS if not any(r in f for r in REFUSED)]),
        st.text(
            st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp"]), max_size=6
        ).filter(lambda text: "{" not in text),
    ),
    max_size=5,
).map("".join)
free_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=5
).map("".join)


def answers_from(text: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, str]]:
    # Most names make a slug (words); the others test what slugify makes of them.
    return st.fixed_dictionaries(
        {
            "project_name": st.one_of(
                text,
                text.map("Orders {}".format),
                st.from_regex(
                    r"[A-Za-z][a-z]{0,8}( [A-Za-z][a-z]{0,8}){0,2}", fullmatch=True
                ),
            ),
            "description": text,
            "author": text,
        }
    )


# Half the cases are text the hook accepts, to check what is generated from it.
answers = st.one_of(answers_from(plain_text), answers_from(free_text))
combinations = st.sampled_from(
    [c for c in all_combinations() if refusal(c[1], c[2]) is None]
)

PLAIN = {"project_name": "Plain", "description": "Plain text", "author": "Plain"}
# Where the answers may appear: everything else is the same whatever they are.
FREE_TEXT_FILES = {"README.md", "pyproject.toml", ".cookiecutter.json"}
OPENING_JINJA = ("{{", "{%", "{#")
# How the pre-gen hook's refusals of these answers begin.
ABOUT_NAMES = tuple(
    f"ERROR: {key}"
    for key in ("project_name", "project_slug", "package_name", "description", "author")
)


class Generation:
    """Cookiecutter in this process, as `--no-input key=value` or as answers typed at
    its prompts, recording the hook scripts it renders and runs."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tmp_path = tmp_path
        self.config = tmp_path / "config.yaml"
        self.config.write_text(
            yaml.safe_dump(
                {
                    "cookiecutters_dir": str(tmp_path / "cookiecutters"),
                    "replay_dir": str(tmp_path / "replay"),
                }
            )
        )
        self.hooks: list[str] = []
        self.typed: dict[str, str] = {}
        self.count = 0
        run_script = cookiecutter.hooks.run_script

        def record_and_run(script_path: str, cwd: str = ".") -> None:
            self.hooks.append(Path(script_path).read_text(encoding="utf-8"))
            run_script(script_path, cwd)

        monkeypatch.setattr(cookiecutter.hooks, "run_script", record_and_run)
        monkeypatch.setattr(cookiecutter.prompt, "read_user_variable", self.read)
        monkeypatch.setattr(
            cookiecutter.prompt, "read_user_choice", lambda _, options, *__: options[0]
        )

    def read(self, key: str, default: str, *_: object) -> str:
        return self.typed.get(key, default)

    def __call__(self, context: dict[str, str], typed: dict[str, str]) -> Path:
        """A new output directory with the project in it; the typed answers go
        through the prompts, `context` through `--no-input`."""
        self.count += 1
        output = self.tmp_path / str(self.count)
        output.mkdir()
        self.hooks.clear()
        self.typed = typed
        bake(
            str(TEMPLATE_DIR),
            no_input=not typed,
            extra_context=context,
            output_dir=str(output),
            config_file=str(self.config),
        )
        return output


def files(project: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(project.rglob("*")):
        if path.is_file():
            yield path.relative_to(project).as_posix(), path.read_bytes()


def code_shape(source: str) -> str:
    """The script's syntax tree with its string literals blanked."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.dump(tree)


def json_literals(source: str) -> list[Any]:
    return [
        json.loads(node.args[0].value)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and ast.unparse(node.func) == "json.loads"
        and isinstance(node.args[0], ast.Constant)
    ]


def assert_hooks_are_the_template_code(
    rendered: list[str], typed: dict[str, str]
) -> None:
    """The scripts cookiecutter ran are the hook files' code, with the answers as
    typed in one of their JSON literals."""
    assert rendered, "no hook ran"
    names = ["pre_gen_project", "post_gen_project"][: len(rendered)]
    for name, script in zip(names, rendered, strict=True):
        source = (TEMPLATE_DIR / "hooks" / f"{name}.py").read_text()
        assert code_shape(script) == code_shape(source), name
        assert any(
            all(literal[key] == value for key, value in typed.items())
            for literal in json_literals(script)
        ), name


def ruff(project: Path, *arguments: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *arguments, "--no-cache", "."],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# Files cookiecutter copies without rendering (`_copy_without_render`).
COPIED_AS_IS = frozenset(CONTEXT["_copy_without_render"])


def assert_text_is_data_only(project: Path, plain: Path, typed: dict[str, str]) -> None:
    generated, expected = dict(files(project)), dict(files(plain))
    assert generated.keys() == expected.keys()
    for name, content in generated.items():
        if name not in FREE_TEXT_FILES:
            assert content == expected[name], name
        text = content.decode()
        if name.endswith(".py"):
            compile(text, name, "exec")
        if name.endswith((".yaml", ".yml")):
            assert yaml.safe_load(text) is not None, name
        if name in COPIED_AS_IS:  # Grafana's and Prometheus' own `{{ }}` templates
            continue
        jinja = [o for o in OPENING_JINJA if o in text.replace("${{", "")]
        assert not jinja, f"{name}: {jinja}"

    kept = json.loads(generated[".cookiecutter.json"])["cookiecutter"]
    assert {key: kept[key] for key in typed} == typed

    readme = expected["README.md"].decode()
    readme = readme.replace(
        f"# {PLAIN['project_name']}\n", f"# {typed['project_name']}\n", 1
    )
    readme = readme.replace(
        f"\n{PLAIN['description']}\n", f"\n{typed['description']}\n", 1
    )
    assert generated["README.md"].decode() == readme

    pyproject = tomllib.loads(generated["pyproject.toml"].decode())
    assert pyproject["project"]["description"] == typed["description"]
    assert pyproject["project"]["authors"] == [{"name": typed["author"]}]
    plain_pyproject = tomllib.loads(expected["pyproject.toml"].decode())
    plain_pyproject["project"].update(
        description=typed["description"], authors=[{"name": typed["author"]}]
    )
    assert pyproject == plain_pyproject

    ruff(project, "check")
    ruff(project, "format", "--check")


def try_answers(
    generate: Generation,
    read_errors: Callable[[], str],
    typed: dict[str, str],
    combination: tuple[str, str, str],
    at_prompt: bool,
) -> str:
    """One case, and how it ended."""
    broker, exporter, backend = combination
    choices = {"broker": broker, "exporter": exporter, "backend": backend}
    read_errors()
    try:
        output = (
            generate(choices, typed) if at_prompt else generate(choices | typed, {})
        )
    except (CookiecutterException, TemplateError) as refused:
        errors = read_errors()
        assert list((generate.tmp_path / str(generate.count)).iterdir()) == []
        if not generate.hooks:
            return f"refused by cookiecutter ({type(refused).__name__})"
        assert_hooks_are_the_template_code(generate.hooks, typed)
        refusals = [line for line in errors.splitlines() if line.startswith("ERROR: ")]
        assert any(line.startswith(ABOUT_NAMES) for line in refusals), errors
        return "refused by the pre-gen hook"
    (project,) = output.iterdir()
    assert_hooks_are_the_template_code(generate.hooks, typed)
    names = {
        "project_slug": project.name,
        "package_name": project.name.replace("-", "_"),
    }
    (plain,) = generate(choices | PLAIN | names, {}).iterdir()
    assert_text_is_data_only(project, plain, typed)
    return "generated"


@pytest.mark.parametrize("at_prompt", [False, True], ids=["no-input", "prompt"])
def test_free_text_is_refused_or_kept_as_data(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    record_property: Callable[[str, object], None],
    at_prompt: bool,
) -> None:
    generate = Generation(tmp_path, monkeypatch)
    cases = Counter[str]()

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(typed=answers, combination=combinations)
    def case(typed: dict[str, str], combination: tuple[str, str, str]) -> None:
        outcome = try_answers(
            generate, lambda: capfd.readouterr().err, typed, combination, at_prompt
        )
        cases[outcome] += 1

    case()

    how = "typed at the prompts" if at_prompt else "given as --no-input key=value"
    outcomes = ", ".join(f"{count} {outcome}" for outcome, count in cases.most_common())
    record_property("figure", f"free text {how}: {cases.total()} cases: {outcomes}")
    assert cases.total() >= EXAMPLES
    assert cases["generated"] > EXAMPLES // 4
    assert cases["refused by the pre-gen hook"] > EXAMPLES // 4


NASTIEST = [
    pytest.param(
        "redis",
        {
            "project_name": 'Zoë\'s "Warehouse" \\ [tool.ruff] # 2 😀',
            "description": (
                '"""; import os; os.system("id"); """ \'\'\' \\ \\n ${ x } }} %} #} '
                'key = "v" [tool] # c: - &a *a !!python/object <script> '
                "[x](javascript:alert(1)) 注文 😀 \u202e"
            ),
            "author": 'O\'Brien, Åsa <asa@example.com> \\ "x"',
        },
        id="quotes-backslashes-toml-yaml-markdown",
    ),
    pytest.param(
        "nats",
        {
            "project_name": "Заказы 注文",
            "description": "'); __import__('os').system('id'); (' 👨\u200d👩\u200d👧",
            "author": "---",
        },
        id="non-latin-name-code-in-quotes",
    ),
]


@pytest.mark.generated
@pytest.mark.parametrize(("broker", "typed"), NASTIEST)
def test_the_nastiest_accepted_answers_install_and_pass_their_tests(
    output_dir: Path, broker: str, typed: dict[str, str]
) -> None:
    answers = {**typed, "broker": broker, "backend": "none"}
    result = run_cookiecutter(output_dir, *(f"{k}={v}" for k, v in answers.items()))
    assert result.returncode == 0, result.stderr
    (project,) = output_dir.iterdir()
    install(project, PYTHON_VERSIONS[0])  # the default, as no version was given

    tests = uv(project, "run", "--no-sync", "pytest", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout[-4000:]
    assert set(pytest_counts(tests.stdout)) <= {"passed", "deselected"}
    metadata = uv(
        project,
        "run",
        "--no-sync",
        "python",
        "-c",
        "import json, sys; from importlib.metadata import metadata; "
        "m = metadata(sys.argv[1]); print(json.dumps([m['Summary'], m['Author']]))",
        project.name,
    )
    assert json.loads(metadata.stdout) == [typed["description"], typed["author"]]
