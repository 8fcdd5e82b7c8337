import pytest

from tests.fresh_service import fresh_import
from tests.spans import INVOICES, ORDERS


def test_demo_prints_one_trace_of_the_whole_pipeline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A fresh copy of the service: the demo shuts its tracer provider down.
    with fresh_import("demo") as (demo,):
        demo.main()
    printed = capsys.readouterr()

    lines = printed.out.splitlines()
    assert len([line for line in lines if line.startswith("trace ")]) == 1
    # The tree as the README draws it: what the handler of the orders published
    # under its span, the invoice's processing under the order's root.
    assert [line.split(" [")[0] for line in lines[1:]] == [
        f"{ORDERS} create",
        f"├── {ORDERS} publish",
        f"├── {ORDERS} process",
        f"│   └── {INVOICES} publish",
        f"└── {INVOICES} process",
    ]
    assert "app.invoice.total=40.20" in printed.out
    # The service's log lines carry the same trace id.
    trace_id = lines[0].removeprefix("trace ")
    assert f"trace_id={trace_id}" in printed.err
