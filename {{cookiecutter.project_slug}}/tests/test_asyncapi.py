from {{ cookiecutter.package_name }}.app import app


def test_the_asyncapi_document_names_this_project_and_its_version() -> None:
    info = app.schema.to_specification().to_jsonable()["info"]

    assert info["title"] == "{{ cookiecutter.project_slug }}"
    assert info["version"] == "0.1.0"
