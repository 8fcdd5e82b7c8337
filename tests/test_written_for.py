"""The check that a generated project holds no other broker's words (written_for.py)
catches them inside longer names too; the matrix runs it on every project."""

from __future__ import annotations

import pytest

from tests.template import BROKERS
from tests.written_for import foreign_terms

KAFKA_CLIENTS = ("kafka", "confluent")


@pytest.mark.parametrize("broker", BROKERS)
def test_the_kafka_sasl_variable_is_foreign_outside_kafka(broker: str) -> None:
    line = 'monkeypatch.delenv("BROKER_SASL_MECHANISM", raising=False)'

    caught = [term for term, word in foreign_terms(broker).items() if word.search(line)]

    assert caught == ([] if broker in KAFKA_CLIENTS else ["SASL_MECHANISM"])
