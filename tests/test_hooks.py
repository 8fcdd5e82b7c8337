"""The hooks' own logic, called directly."""

from __future__ import annotations

import json
from pathlib import Path

import cookiecutter.generate
import cookiecutter.prompt
import pytest

from tests.template import CONTEXT, PRE_GEN, TEMPLATE_DIR, load_hook

VALID = {
    "project_name": "Order Service",
    "description": "Prices orders",
    "author": "Ada",
    "project_slug": "order-service",
    "package_name": "order_service",
    "python_version": "3.12",
    "broker": "kafka",
    "exporter": "otlp-grpc",
    "backend": "jaeger",
    **{key: CONTEXT[key] for key in ("_brokers", "_exporters", "_backends")},
}


def test_valid_answers_pass() -> None:
    assert PRE_GEN.validate(VALID) == []
    assert PRE_GEN.main(VALID) == 0


@pytest.mark.parametrize(
    ("package", "says"),
    [
        pytest.param("123_service", "not a valid Python identifier", id="digit-first"),
        pytest.param("order-service", "not a valid Python identifier", id="dash"),
        pytest.param("café", "not a valid Python identifier", id="non-ascii"),
        pytest.param("class", "is a Python keyword", id="keyword"),
        pytest.param("match", "is a Python keyword", id="soft-keyword"),
        pytest.param("Orders", "must be lower case", id="upper-case"),
        pytest.param("faststream", "would shadow", id="faststream"),
        pytest.param("opentelemetry", "would shadow", id="opentelemetry"),
        pytest.param("pydantic", "would shadow", id="pydantic"),
        pytest.param("logging", "would shadow", id="stdlib"),
        pytest.param("tests", "would shadow", id="tests"),
        pytest.param("a" * 41, "keep it to 40 or fewer", id="too-long"),
    ],
)
def test_bad_package_names_are_refused(package: str, says: str) -> None:
    errors = PRE_GEN.validate({**VALID, "package_name": package})

    assert len(errors) == 1
    assert says in errors[0]
    assert repr(package) in errors[0]


@pytest.mark.parametrize(
    "slug", ["Order-Service", "-orders", "orders-", "order--service", "", "a b", "1 st"]
)
def test_bad_slugs_are_refused(slug: str) -> None:
    errors = PRE_GEN.validate({**VALID, "project_slug": slug})

    assert len(errors) == 1
    assert "project_slug" in errors[0]


@pytest.mark.parametrize(
    ("name", "slug", "package"),
    [
        (
            "24h Delivery Service",
            "24h-delivery-service",
            "service_24h_delivery_service",
        ),
        ("2024", "2024", "service_2024"),
        ("Café Orders", "cafe-orders", "cafe_orders"),
        ("  x  ", "x", "x"),
        ("Über-Service 3", "uber-service-3", "uber_service_3"),
    ],
)
def test_every_name_with_a_letter_or_digit_derives_valid_names(
    name: str, slug: str, package: str
) -> None:
    """The defaults as cookiecutter renders them from cookiecutter.json, and the
    hook's copy of that derivation, which names the answer to change."""
    context = cookiecutter.generate.generate_context(
        str(TEMPLATE_DIR / "cookiecutter.json"), extra_context={"project_name": name}
    )
    rendered = cookiecutter.prompt.prompt_for_config(context, no_input=True)

    assert (rendered["project_slug"], rendered["package_name"]) == (slug, package)
    assert (PRE_GEN.derived_slug(name), PRE_GEN.derived_package(slug)) == (
        slug,
        package,
    )
    assert PRE_GEN.validate({**VALID, **rendered}) == []


@pytest.mark.parametrize(
    ("answers", "says"),
    [
        pytest.param(
            {"project_name": "FastStream"},
            "It was derived from project_name 'FastStream': give another "
            "project_name, or a package_name.",
            id="from-the-name",
        ),
        pytest.param(
            {"project_name": "Orders", "project_slug": "class"},
            "It was derived from project_slug 'class': give another project_slug, "
            "or a package_name.",
            id="from-the-slug",
        ),
    ],
)
def test_a_refused_derived_package_name_says_which_answer_to_change(
    answers: dict[str, str], says: str
) -> None:
    slug = answers.get("project_slug") or PRE_GEN.derived_slug(answers["project_name"])
    derived = {**answers, "project_slug": slug}
    derived["package_name"] = PRE_GEN.derived_package(slug)

    (error,) = PRE_GEN.validate({**VALID, **derived})

    assert error.endswith(says)


def test_a_refused_given_package_name_names_no_other_answer() -> None:
    (error,) = PRE_GEN.validate({**VALID, "package_name": "faststream"})

    assert "derived" not in error


@pytest.mark.parametrize("name", ["😀", "---", "!?"])
def test_a_name_with_nothing_to_slugify_says_so(name: str) -> None:
    (error,) = PRE_GEN.validate({**VALID, "project_name": name, "project_slug": "-"})

    assert error.startswith(
        f"project_slug '-' has no letters or digits: project_name {name!r} has none"
    )


@pytest.mark.parametrize("version", ["3.9", "3.10", "3.14", "2.7", "latest"])
def test_unsupported_python_is_refused(version: str) -> None:
    (error,) = PRE_GEN.validate({**VALID, "python_version": version})

    assert f"python_version {version!r} is not supported" in error
    assert "3.11, 3.12, 3.13" in error


def test_supported_pythons_match_the_prompt_choices() -> None:
    assert sorted(PRE_GEN.SUPPORTED_PYTHON) == sorted(CONTEXT["python_version"])


@pytest.mark.parametrize(
    ("exporter", "backend", "says"),
    [
        ("console", "jaeger", "backend 'none'"),
        ("console", "tempo", "backend 'none'"),
        ("console", "zipkin", "backend 'none'"),
        ("console", "lgtm", "backend 'none'"),
        ("jaeger", "lgtm", "Choose exporter otlp-grpc or otlp-http"),
        ("zipkin", "lgtm", "Choose exporter otlp-grpc or otlp-http"),
    ],
)
def test_combinations_that_cannot_deliver_spans_are_refused(
    exporter: str, backend: str, says: str
) -> None:
    (error,) = PRE_GEN.validate({**VALID, "exporter": exporter, "backend": backend})

    assert says in error


@pytest.mark.parametrize(
    ("exporter", "backend"),
    [
        ("otlp-grpc", "jaeger"),
        ("otlp-http", "tempo"),
        ("jaeger", "jaeger"),
        ("zipkin", "zipkin"),
        ("zipkin", "jaeger"),
        ("console", "none"),
        ("otlp-grpc", "lgtm"),
        ("otlp-http", "lgtm"),
        # Through an OpenTelemetry Collector.
        ("otlp-grpc", "zipkin"),
        ("otlp-http", "zipkin"),
        ("jaeger", "zipkin"),
    ],
)
def test_working_combinations_are_accepted(exporter: str, backend: str) -> None:
    assert PRE_GEN.validate({**VALID, "exporter": exporter, "backend": backend}) == []


@pytest.mark.parametrize("key", ["project_name", "description", "author"])
@pytest.mark.parametrize(
    ("text", "says"),
    [
        pytest.param("A\nB", "contains a control character (U+000A)", id="newline"),
        pytest.param("A\r", "contains a control character (U+000D)", id="return"),
        pytest.param("A\tB", "contains a control character (U+0009)", id="tab"),
        pytest.param("A\x00", "contains a control character (U+0000)", id="nul"),
        pytest.param("A\x7f", "contains a control character (U+007F)", id="delete"),
        pytest.param("A\u2028B", "contains a line break (U+2028)", id="separator"),
        pytest.param("A\ud800", "contains a lone surrogate (U+D800)", id="surrogate"),
        pytest.param("{{ 7*7 }}", "contains '{{', which cookiecutter", id="expr"),
        pytest.param("{% raw %}", "contains '{%', which cookiecutter", id="statement"),
        pytest.param("a {# b", "contains '{#', which cookiecutter", id="comment"),
    ],
)
def test_free_text_that_is_not_one_line_of_plain_text_is_refused(
    key: str, text: str, says: str
) -> None:
    (error,) = PRE_GEN.validate({**VALID, key: text})

    assert error.startswith(f"{key} {text!r} {says}")


def test_an_answer_cookiecutter_rendered_is_refused_with_what_it_became() -> None:
    rendered = {**VALID, "description": "49"}
    typed = {**rendered, "description": "{{ 7*7 }}"}

    (error,) = PRE_GEN.validate(rendered, typed)

    assert "description '{{ 7*7 }}' contains '{{'" in error
    assert "(it became '49')" in error


@pytest.mark.parametrize(
    "text",
    [
        'Zoë\'s "Order" Service \\ [pricing] # 2',
        '"""; import os; os.system(\'id\'); """',
        "key = \"value\" ''' ${ x } }} %} #} 100%",
        "- [x](javascript:alert(1)) <b>*bold*</b> `code` | a: b &anchor !!tag",
        "Заказы 注文 😀 👨\u200d👩\u200d👧 \u202eright-to-left",
    ],
)
def test_one_line_of_text_with_any_quotes_and_symbols_passes(text: str) -> None:
    for key in ("project_name", "description", "author"):
        assert PRE_GEN.validate({**VALID, key: text}) == []


def test_only_the_description_may_be_blank() -> None:
    assert PRE_GEN.validate({**VALID, "description": ""}) == []
    for key in ("project_name", "author"):
        for blank in ("", "   "):
            assert PRE_GEN.validate({**VALID, key: blank}) == [
                f"{key} is empty; type a name."
            ]


@pytest.mark.parametrize(
    ("key", "value", "valid"),
    [
        ("broker", "Kafka", "confluent, kafka, mqtt, nats, rabbit, redis"),
        ("exporter", " otlp-grpc", "console, jaeger, otlp-grpc, otlp-http, zipkin"),
        ("backend", "", "jaeger, lgtm, none, tempo, zipkin"),
    ],
)
def test_unknown_choices_are_refused_with_the_valid_ones(
    key: str, value: str, valid: str
) -> None:
    (error,) = PRE_GEN.validate({**VALID, key: value})

    assert error == f"{key} {value!r} is not one of the choices: {valid}."


def test_main_reports_every_problem_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    answers = {**VALID, "package_name": "class", "python_version": "3.9"}

    assert PRE_GEN.main(answers) == 1

    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("ERROR: ") for line in lines)


@pytest.mark.parametrize(
    ("exporter", "backend", "kept"),
    [
        pytest.param(
            "zipkin",
            "tempo",
            [
                "compose/grafana/dashboards.yaml",
                "compose/grafana/datasources.yaml",
                "compose/monitoring.yaml",
                "compose/mosquitto.conf",
                "compose/mosquitto.yaml",
                "compose/prometheus/prometheus.yml",
                "compose/tempo",
                "compose/tempo.yaml",
                "src/svc/exporters/zipkin.py",
                "tests/http_receiver.py",
                "tests/test_exporter_zipkin.py",
            ],
            id="direct",
        ),
        pytest.param(
            "otlp-grpc",
            "zipkin",
            [
                "compose/grafana/dashboards.yaml",
                "compose/grafana/datasources.yaml",
                "compose/monitoring.yaml",
                "compose/mosquitto.conf",
                "compose/mosquitto.yaml",
                "compose/otel-collector",
                "compose/otel-collector.yaml",
                "compose/prometheus/prometheus.yml",
                "compose/zipkin.yaml",
                "src/svc/exporters/otlp_grpc.py",
                "tests/http_receiver.py",
                "tests/otlp_logs.py",
                "tests/otlp_request.py",
                "tests/pushed_metrics.py",
                "tests/test_exporter_otlp_grpc.py",
            ],
            id="through-a-collector",
        ),
        pytest.param(
            "otlp-http",
            "lgtm",
            [
                "compose/lgtm",
                "compose/lgtm.yaml",
                "compose/mosquitto.conf",
                "compose/mosquitto.yaml",
                "src/svc/exporters/otlp_http.py",
                "tests/http_receiver.py",
                "tests/otlp_logs.py",
                "tests/otlp_request.py",
                "tests/pushed_metrics.py",
                "tests/test_exporter_otlp_http.py",
            ],
            id="with-its-own-grafana",
        ),
    ],
)
def test_post_gen_keeps_only_the_chosen_options_files(
    tmp_path: Path, exporter: str, backend: str, kept: list[str]
) -> None:
    post_gen = load_hook("post_gen_project")
    answers = {
        **CONTEXT,
        "project_slug": "svc",
        "package_name": "svc",
        "broker": "mqtt",
        "exporter": exporter,
        "backend": backend,
    }
    every_option = [
        *(
            path
            for spec in CONTEXT["_exporters"].values()
            for path in post_gen.exporter_files(tmp_path, "svc", spec["module"])
        ),
        *(
            path
            for spec in CONTEXT["_brokers"].values()
            for path in post_gen.broker_files(tmp_path, "svc", spec)
        ),
        *(
            path
            for backend in CONTEXT["_backends"]
            for path in post_gen.backend_files(tmp_path, backend)
        ),
        *post_gen.collector_files(tmp_path),
        *post_gen.monitoring_files(tmp_path),
        *(
            tmp_path / support
            for spec in CONTEXT["_exporters"].values()
            for support in spec["test_support"]
        ),
    ]
    for path in every_option:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")

    post_gen.main(tmp_path, answers)

    left = sorted(
        p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()
    )
    assert left == [".cookiecutter.json", *kept]


def test_post_gen_keeps_the_answers_and_says_what_to_run_next(tmp_path: Path) -> None:
    post_gen = load_hook("post_gen_project")
    answers = {
        **VALID,
        "project_name": "Zoë's Orders",
        "_template": "gh:someone/faststream-otel-template",
        "_output_dir": "/somewhere",
    }

    post_gen.write_answers(tmp_path, answers)
    steps = post_gen.next_steps(answers).splitlines()

    kept = json.loads((tmp_path / ".cookiecutter.json").read_text(encoding="utf-8"))
    assert kept == {
        "cookiecutter": {k: v for k, v in VALID.items() if not k.startswith("_")}
        | {"project_name": "Zoë's Orders"}
    }
    assert steps[:2] == ["Created order-service. Next:", "  cd order-service"]
    assert any(line.split("#")[0].strip() == "git init" for line in steps)
    assert "  uv run python -m order_service.demo" in steps
