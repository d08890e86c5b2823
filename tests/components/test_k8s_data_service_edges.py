"""The names the operator-run data services accept, at their edges: the operators append suffixes such as
`-kafka-bootstrap` to a name, so it must be a lowercase DNS label of at most 40 characters (exactly 40 passes)."""

from __future__ import annotations

import pytest

from components.kubernetes.data_service import ownership_labels, require_dns_label


@pytest.mark.parametrize("name", ["a", "orders-db", "a1", "x" * 40, "a" + "-b" * 19 + "c"])
def test_lowercase_dns_labels_up_to_the_limit_are_accepted(name):
    assert require_dns_label(name) == name


@pytest.mark.parametrize("name", ["x" * 41, "Orders", "orders_db", "1orders", "orders-", "-orders", "", "a.b"])
def test_long_or_malformed_names_are_refused_naming_the_name(name):
    with pytest.raises(ValueError, match=f"^'{name}' must be a lowercase DNS label of at most 40 characters$"):
        require_dns_label(name)


def test_the_limit_is_the_callers():
    assert require_dns_label("x" * 63, max_len=63) == "x" * 63
    with pytest.raises(ValueError, match="at most 10 characters"):
        require_dns_label("x" * 11, max_len=10)


def test_ownership_tags_become_valid_label_values_under_the_same_keys():
    assert ownership_labels({"owner": "alice@example.com", "blueprint": "web-service@1.2.0"}) == {
        "owner": "alice_at_example.com", "blueprint": "web-service_at_1.2.0"}
