"""The one table from plan type to builder: every type a target offers has a builder, nothing else falls through."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest

from blueprints.plan import AWS_SERVICES, VSPHERE_SERVICES, EksCluster, PlanError, SharedClusterPlan, VksCluster
from blueprints.plan.shared import implementation
from components.compose import BUILDERS, build


@pytest.mark.parametrize("plan_type", [*AWS_SERVICES.values(), *VSPHERE_SERVICES.values(), EksCluster, VksCluster,
                                       SharedClusterPlan])
def test_every_offered_plan_type_has_a_builder(plan_type):
    assert plan_type in BUILDERS, plan_type.__name__


def test_a_plan_value_with_no_entry_stops_by_name():
    with pytest.raises(TypeError, match="SimpleNamespace: no builder"):
        build(SimpleNamespace(kind="postgres"), at=None)


@pytest.mark.parametrize("offered,target,kind", [(AWS_SERVICES, "aws", "mongodb"), (VSPHERE_SERVICES, "vsphere", "object-storage")])
def test_a_kind_a_target_does_not_offer_is_refused(offered, target, kind):
    with pytest.raises(PlanError, match=f"data_services.{kind}: is not offered on {target}"):
        implementation(offered, SimpleNamespace(kind=kind), target)
    assert implementation(offered, SimpleNamespace(kind="postgres"), target).kind == "postgres"


@pytest.mark.parametrize("plan_type", list(BUILDERS))
def test_every_builder_names_a_function_of_its_target(plan_type):
    step = BUILDERS[plan_type]
    assert callable(getattr(step, "resolve", lambda: step)()), plan_type.__name__


def test_an_aws_plan_does_not_load_the_vsphere_steps():
    code = ("import sys; from components import compose; compose.BUILDERS[compose.AwsPlan].resolve(); "
            "print(sorted(m for m in sys.modules if m.startswith(('pulumi_vsphere', 'components.compose_'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['components.compose_aws']", done.stdout + done.stderr
