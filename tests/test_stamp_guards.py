"""`bp new` over an existing stack file under every flag combination: what must still refuse (no --force, a prod
network move with one flag, a pinned version without --unpin), what a dry run shows and never writes, and what a
re-stamp keeps (a retirement, a pin)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from blueprints.errors import BadInput
from blueprints.resolved import Retirement
from store import stack_files
from store.pins import Pin, pinned_text, read_pin
from store.stamp import StampOptions, stamp
from tests.conftest import SESSION_DAY, make_request

TODAY = SESSION_DAY


def _request(env: str = "dev", **overrides):
    fields = {"blueprint": "web-service@2.0.0", "target": "vsphere", "region": None, "site": "ny1", **overrides}
    return make_request(env=env, **fields)


def _stamp(repo, catalog, sites, request, **opts):
    return stamp(repo, request, catalog, sites, StampOptions(**opts), today=TODAY)


def _files(repo) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((repo / "stacks").iterdir()) if p.is_file() and p.suffix == ".yaml"}


def test_a_stamp_waives_nothing_unless_asked_and_its_options_cannot_be_changed():
    from dataclasses import FrozenInstanceError

    assert StampOptions() == StampOptions(force=False, dry_run=False, move_network=False, prod_network_move=False,
                                          unpin=False)
    with pytest.raises(FrozenInstanceError):
        StampOptions().move_network = True


def test_an_existing_stack_is_replaced_only_with_force_and_a_dry_run_writes_nothing(repo, catalog, sites):
    first = _stamp(repo, catalog, sites, _request())
    assert first.old_text is None and first.diff("Pulumi.payments-dev.yaml") == ""
    assert first.path.read_text() == first.new_text
    written = _files(repo)
    bigger = _request(size="L")
    with pytest.raises(BadInput, match="Pulumi.payments-dev.yaml exists; pass --force to replace it"):
        _stamp(repo, catalog, sites, bigger)
    for opts in ({"move_network": True}, {"unpin": True}, {"prod_network_move": True}):
        with pytest.raises(BadInput, match="exists; pass --force"):
            _stamp(repo, catalog, sites, bigger, **opts)
    dry = _stamp(repo, catalog, sites, bigger, dry_run=True)
    assert dry.old_text == written["Pulumi.payments-dev.yaml"] and dry.new_text != dry.old_text
    assert dry.diff("Pulumi.payments-dev.yaml").startswith("--- a/Pulumi.payments-dev.yaml\n+++ b/Pulumi.payments-dev.yaml\n")
    assert _files(repo) == written, "a dry run wrote"
    forced = _stamp(repo, catalog, sites, bigger, force=True)
    assert forced.path.read_text() == forced.new_text == dry.new_text


@pytest.mark.parametrize("env", ["prod", "dev"])
def test_a_network_move_needs_its_flag_and_prod_needs_the_second_one_too(repo, catalog, sites, env):
    _stamp(repo, catalog, sites, _request(env))
    written = _files(repo)
    with pytest.raises(BadInput, match=f"--site: payments-{env} is placed in ny1, not nj2; pass --move-network"):
        _stamp(repo, catalog, sites, _request(env, site="nj2"), force=True)
    if env == "prod":
        for opts in ({"force": True}, {"dry_run": True}, {"force": True, "dry_run": True}):
            with pytest.raises(BadInput, match="--move-network: moving a prod stack's network replaces the network"):
                _stamp(repo, catalog, sites, _request(env, site="nj2"), move_network=True, **opts)
        assert _files(repo) == written
    moved = _stamp(repo, catalog, sites, _request(env, site="nj2"), force=True, move_network=True,
                   prod_network_move=env == "prod")
    assert moved.resolved.primary.data_center == "nj2" and _files(repo) != written


def test_a_new_prod_stack_needs_no_network_move_flag(repo, catalog, sites):
    new = _stamp(repo, catalog, sites, _request("prod"), move_network=True)
    assert new.old_text is None and new.path.is_file()


def test_a_dry_run_without_a_repository_is_resolved_against_nothing(catalog, sites, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    dry = stamp(None, _request(), catalog, sites, StampOptions(dry_run=True), today=TODAY)
    assert dry.old_text is None and dry.path == tmp_path / "stacks" / "Pulumi.payments-dev.yaml"
    assert dry.new_text == stack_files.render(dry.resolved) and not dry.path.exists()


def test_a_restamp_keeps_a_retirement(repo, catalog, sites):
    first = _stamp(repo, catalog, sites, _request())
    retired = first.resolved.model_copy(update={"retirement": Retirement(since=TODAY, reason="moving away")})
    stack_files.write_stack(repo, retired, force=True)
    again = _stamp(repo, catalog, sites, _request(size="L"), force=True)
    assert again.resolved.retirement == retired.retirement
    assert stack_files.read_stack(again.path).retirement == retired.retirement


def _pinned(repo, catalog, sites, expires: date):
    path = _stamp(repo, catalog, sites, _request()).path
    pin = Pin(reason="freeze", approver="lead@example.com", expires=expires, version="web-service@2.0.0")
    path.write_text(pinned_text(path, pin))
    return path, pin


def test_a_pinned_stack_is_restamped_at_its_version_and_keeps_its_pin(repo, catalog, sites):
    path, pin = _pinned(repo, catalog, sites, TODAY)
    again = _stamp(repo, catalog, sites, _request(size="L"), force=True)
    assert again.resolved.request.size == "L" and read_pin(path) == pin and again.notes == ()


def test_a_pinned_stack_moves_version_only_with_unpin_even_in_a_dry_run(repo, catalog, sites):
    path, _ = _pinned(repo, catalog, sites, TODAY)
    written = _files(repo)
    moved = _request(blueprint="web-service@2.1.0")
    for opts in ({"force": True}, {"dry_run": True}):
        with pytest.raises(BadInput, match="pass --unpin to move it to web-service@2.1.0"):
            _stamp(repo, catalog, sites, moved, **opts)
    assert _files(repo) == written
    unpinned = _stamp(repo, catalog, sites, moved, force=True, unpin=True)
    assert read_pin(path) is None and unpinned.notes == (
        f"pin removed (was pinned at web-service@2.0.0 until {TODAY} by lead@example.com (freeze))",)


def test_an_expired_pin_is_dropped_by_the_move_it_no_longer_holds_back(repo, catalog, sites):
    path, _ = _pinned(repo, catalog, sites, TODAY - timedelta(days=1))
    moved = _stamp(repo, catalog, sites, _request(blueprint="web-service@2.1.0"), force=True)
    assert read_pin(path) is None and moved.notes == (
        f"expired pin removed (was pinned at web-service@2.0.0 until {TODAY - timedelta(days=1)})",)


def test_confirm_sees_the_stamp_before_any_file_changes(repo, catalog, sites):
    seen = []

    def confirm(stamped):
        seen.append((stamped.path.exists(), stamped.resolved.stack))
        raise BadInput("the report could not be written")
    with pytest.raises(BadInput, match="could not be written"):
        stamp(repo, _request(), catalog, sites, confirm=confirm, today=TODAY)
    assert seen == [(False, "payments-dev")] and _files(repo) == {}


def test_a_dry_run_diff_is_one_line_per_change_and_the_stamp_is_frozen(repo, catalog, sites):
    from dataclasses import FrozenInstanceError

    _stamp(repo, catalog, sites, _request())
    dry = _stamp(repo, catalog, sites, _request(size="L"), dry_run=True)
    lines = dry.diff("Pulumi.payments-dev.yaml").splitlines(keepends=True)
    assert "-      size: M\n" in lines and "+      size: L\n" in lines
    assert all(line.endswith("\n") and line[0] in "-+ @" for line in lines)
    with pytest.raises(FrozenInstanceError):
        dry.new_text = ""


@pytest.mark.parametrize(("expires", "holds"), [(TODAY, True), (TODAY - timedelta(days=1), False)])
def test_a_stamp_without_a_day_judges_pins_on_the_clocks_day(repo, catalog, sites, expires, holds):
    path, _ = _pinned(repo, catalog, sites, expires)
    moved = _request(blueprint="web-service@2.1.0")
    if holds:
        with pytest.raises(BadInput, match="pass --unpin"):
            stamp(repo, moved, catalog, sites, StampOptions(force=True))
        return
    stamp(repo, moved, catalog, sites, StampOptions(force=True))
    assert read_pin(path) is None and stack_files.read_stack(path).blueprint_ref == "web-service@2.1.0"
