"""The schema helper itself: it must reject what the API server would reject, naming the URN."""

from __future__ import annotations

import pulumi_kubernetes as k8s
import pytest

import engine
from tests.kube_schema import assert_valid


def _run(spec):
    return engine.run(lambda: k8s.apps.v1.StatefulSet("bad", metadata={"name": "bad", "namespace": "ns"}, spec=spec))


def test_misspelt_field_fails_with_the_urn():
    capture = _run({
        "serviceName": "bad",
        "replica": 2,  # not a StatefulSet field
        "selector": {"matchLabels": {"app": "bad"}},
        "template": {"metadata": {"labels": {"app": "bad"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}},
    })
    with pytest.raises(AssertionError) as err:
        assert_valid(capture)
    assert capture.one("kubernetes:apps/v1:StatefulSet").urn in str(err.value)


def test_missing_required_field_fails():
    capture = _run({"serviceName": "bad", "template": {"spec": {"containers": [{"name": "c"}]}}})
    with pytest.raises(AssertionError, match="selector"):
        assert_valid(capture)


def test_valid_object_passes_and_counts():
    capture = _run({
        "serviceName": "ok",
        "replicas": 1,
        "selector": {"matchLabels": {"app": "ok"}},
        "template": {"metadata": {"labels": {"app": "ok"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}},
    })
    assert assert_valid(capture) == 1
