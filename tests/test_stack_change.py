"""One way to change a stack file: invariants kept by every command, side effects last, all-or-nothing files."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from blueprints import yaml_io
from blueprints.errors import BadInput
from store import file_swap, stack_files
from store.pins import read_pin
from tests.conftest import BP, run_bp

NEW = ("-b", "web-service@2.0.0", "-e", "dev", "--site", "ny1", "--owner", "a@b.cd", "--cost-center", "CC-1")
PIN = ("--reason", "quarter-end freeze", "--approver", "lead@example.com", "--expires", "2999-01-01")


def stamped(bp, team: str = "cart", *extra: str) -> Path:
    result = bp("new", team, *NEW, *extra)
    assert result.exit_code == 0, result.output
    return Path(result.output.split("Wrote ", 1)[1].split(":", 1)[0])


def read(repo: Path, stack: str = "cart-dev"):
    return stack_files.read_stack(stack_files.stack_path(repo, stack))


def test_retire_then_upgrade_keeps_the_retirement_and_says_so(bp, repo):
    stamped(bp)
    assert bp("retire", "cart-dev", "--reason", "moved to cart-prod").exit_code == 0
    mark = read(repo).retirement
    result = bp("upgrade", "cart-dev", "--to", "web-service@2.1.0")
    assert result.exit_code == 0, result.output
    assert read(repo).blueprint_ref == "web-service@2.1.0" and read(repo).retirement == mark
    assert "still retired since" in result.output, result.output


def test_fleet_upgrade_leaves_retired_stacks_out_of_the_waves_and_alone(bp, repo):
    stamped(bp, "cart")
    stamped(bp, "shop")
    bp("retire", "cart-dev", "--reason", "decommissioned")
    before = stack_files.stack_path(repo, "cart-dev").read_text()
    plan = bp("fleet", "upgrade", "plan", "-b", "web-service", "--to", "2.1.0", "--waves", "dev", "--canary", "0%",
              "--json")
    assert plan.exit_code == 0, plan.output
    planned = json.loads(plan.output)
    assert [s["stack"] for w in planned["waves"] for s in w["stacks"]] == ["shop-dev"], planned
    assert [h["stack"] for h in planned["held"]] == ["cart-dev"] and "retired" in planned["held"][0]["reason"]
    applied = bp("fleet", "upgrade", "apply", "-b", "web-service", "--to", "2.1.0", "--waves", "dev", "--canary", "0%",
                 "--wave", "1")
    assert applied.exit_code == 0, applied.output
    assert stack_files.stack_path(repo, "cart-dev").read_text() == before
    assert read(repo, "shop-dev").blueprint_ref == "web-service@2.1.0"


def test_a_pinned_stack_moves_only_with_unpin_which_removes_the_pin(bp, repo):
    path = stamped(bp)
    assert bp("pin", "cart-dev", *PIN).exit_code == 0
    before = (repo / path).read_text()
    refused = bp("upgrade", "cart-dev", "--to", "2.1.0")
    assert refused.exit_code == 2 and "pinned at web-service@2.0.0" in refused.output and "--unpin" in refused.output
    assert (repo / path).read_text() == before, "a refused upgrade wrote"
    restamp = bp("new", "cart", *NEW, "--force", "-b", "web-service@2.1.0")
    assert restamp.exit_code == 2 and "--unpin" in restamp.output, restamp.output
    assert (repo / path).read_text() == before

    moved = bp("upgrade", "cart-dev", "--to", "2.1.0", "--unpin")
    assert moved.exit_code == 0 and "pin removed" in moved.output, moved.output
    assert read(repo).blueprint_ref == "web-service@2.1.0" and read_pin(repo / path) is None


def test_a_pinned_stack_may_change_what_its_pin_does_not_hold(bp, repo):
    path = stamped(bp)
    bp("pin", "cart-dev", *PIN)
    resized = bp("new", "cart", *NEW, "--force", "--size", "L")
    assert resized.exit_code == 0, resized.output
    assert read(repo).request.size == "L" and read_pin(repo / path).version == "web-service@2.0.0"


def test_unpin_removes_the_pin_and_says_when_there_was_none(bp, repo):
    path = stamped(bp)
    bp("pin", "cart-dev", *PIN)
    first = bp("unpin", "cart-dev")
    assert first.exit_code == 0 and "Unpinned cart-dev" in first.output and read_pin(repo / path) is None
    again = bp("unpin", "cart-dev")
    assert again.exit_code == 0 and "was not pinned; nothing changed" in again.output
    assert bp("unpin", "ghost-dev").exit_code == 2


def test_an_upgrade_recomputes_when_the_stack_changes_under_it(bp, repo, catalog, sites, monkeypatch):
    from lifecycle import upgrade
    from store.stamp import StampOptions, stamp

    stamped(bp)
    render = upgrade.render_upgrade
    calls = []

    def resize_meanwhile(*args):
        calls.append(1)
        if len(calls) == 1:  # another bp resizes the stack while this one computes its diff
            current = read(repo)
            stamp(repo, current.request.model_copy(update={"size": "L"}), catalog, sites, StampOptions(force=True))
        return render(*args)

    monkeypatch.setattr(upgrade, "render_upgrade", resize_meanwhile)
    result = bp("upgrade", "cart-dev", "--to", "2.1.0")
    assert result.exit_code == 0, result.output
    assert len(calls) == 2, "the diff of the stale file must be computed again"
    assert read(repo).request.size == "L" and read(repo).blueprint_ref == "web-service@2.1.0"


def test_bp_new_to_a_full_output_writes_nothing_and_the_retry_works(repo):
    with open("/dev/full", "w") as full:
        result = subprocess.run([*BP, "--repo", str(repo), "new", "pay", *NEW], stdout=full, stderr=subprocess.PIPE,
                                text=True, cwd=repo)
    assert result.returncode == 2 and "No space left on device" in result.stderr, result.stderr
    assert "nothing was changed" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not list((repo / "stacks").glob("Pulumi.*")) and not (repo / "stacks" / "allocations.txt").exists()
    retry = run_bp(repo, "new", "pay", *NEW)
    assert retry.returncode == 0, retry.stderr


def test_a_reader_that_stops_early_still_gets_the_whole_report_and_the_change_stands(repo):
    proc = subprocess.run(f"{' '.join(BP[:2])} '{BP[2]}' --repo {repo} new pay {' '.join(NEW)} | head -1",
                          shell=True, capture_output=True, text=True, cwd=repo)
    assert proc.stdout.startswith("Wrote stacks/Pulumi.pay-dev.yaml"), proc
    assert stack_files.stack_path(repo, "pay-dev").exists() and "error" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("command", [("pin", "cart-dev", *PIN), ("retire", "cart-dev", "--reason", "gone"),
                                     ("upgrade", "cart-dev", "--to", "2.1.0")])
def test_every_write_command_to_a_full_output_changes_nothing(bp, repo, command):
    stamped(bp)
    before = stack_files.stack_path(repo, "cart-dev").read_text()
    with open("/dev/full", "w") as full:
        result = subprocess.run([*BP, "--repo", str(repo), *command], stdout=full, stderr=subprocess.PIPE, text=True,
                                cwd=repo)
    assert result.returncode == 2 and "nothing was changed" in result.stderr, result.stderr
    assert stack_files.stack_path(repo, "cart-dev").read_text() == before


@pytest.mark.parametrize("approver", ["[/]x@example.com", "[bold]lead@example.com"])
def test_markup_in_user_text_is_printed_as_written_or_refused_never_half_done(bp, repo, approver):
    path = stamped(bp)
    result = bp("pin", "cart-dev", "--reason", "[/]freeze [red]week", "--approver", approver, "--expires", "2999-01-01")
    if result.exit_code == 0:
        assert f"({approver})" in result.output, result.output
        assert read_pin(repo / path).approver == approver
    else:
        assert result.exit_code == 2 and read_pin(repo / path) is None, result.output
    retired = bp("retire", "cart-dev", "--reason", "[/]gone [bold]now")
    assert retired.exit_code == 0 and "([/]gone [bold]now)" in retired.output, retired.output


# --- all or nothing ---------------------------------------------------------------------------------------------


def test_a_failure_at_any_step_of_a_multi_file_swap_leaves_the_old_files(tmp_path, monkeypatch):
    old = {tmp_path / f"f{i}.yaml": f"old {i}\n" for i in range(3)}
    for path, text in old.items():
        path.write_text(text)
    os.chmod(tmp_path / "f1.yaml", 0o664)
    new = {path: text.replace("old", "new") for path, text in old.items()} | {tmp_path / "f3.yaml": "new 3\n"}
    steps = {"write_atomic": yaml_io.write_atomic, "replace": os.replace, "link": os.link}
    for step, real in steps.items():
        for failing in range(3 * len(new)):  # os.replace also serves the staging writes
            calls = []

            def flaky(*args, real=real, failing=failing):
                calls.append(args)
                if len(calls) == failing + 1:
                    raise OSError(28, "No space left on device")
                return real(*args)

            target = yaml_io if step == "write_atomic" else file_swap.os
            monkeypatch.setattr(target, step, flaky)
            try:
                file_swap.replace_files(new)
                refused = None
            except BadInput as exc:
                refused = str(exc)
            finally:
                monkeypatch.undo()
            if refused is None:
                assert len(calls) <= failing, f"{step} failed at call {failing + 1} and was not reported"
                file_swap.replace_files(old)  # fewer calls of this step than the failure point: all went in
                (tmp_path / "f3.yaml").unlink()
                continue
            assert "nothing was changed" in refused, refused
            swapped_some = (step == "replace" and failing > len(new)) or (step == "link" and failing > 0)
            assert ("put back;" in refused) == swapped_some, (step, failing, refused)
            assert {p: p.read_text() for p in old} == old, f"{step} failing at call {failing + 1}"
            assert not (tmp_path / "f3.yaml").exists() and sorted(os.listdir(tmp_path)) == sorted(p.name for p in old)
    file_swap.replace_files(new)
    assert {p: p.read_text() for p in new} == new
    assert (tmp_path / "f1.yaml").stat().st_mode & 0o777 == 0o664, "a replaced file keeps its mode"


def test_a_failing_report_changes_no_file(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("old\n")

    def report():
        raise RuntimeError("markup error")

    with pytest.raises(RuntimeError):
        file_swap.replace_files({path: "new\n", tmp_path / "g.yaml": "new\n"}, report)
    assert path.read_text() == "old\n" and os.listdir(tmp_path) == ["f.yaml"]


def test_a_failure_at_each_write_of_a_wave_leaves_the_old_files_or_the_new_ones(bp, repo, catalog, sites, monkeypatch):
    from lifecycle.rollout import apply_wave, plan_rollout

    for team in ("ash", "birch", "cedar"):
        stamped(bp, team)
    plan = plan_rollout(repo, catalog, sites, blueprint="web-service", to="2.1.0", envs=("dev",), canary_percent=0)
    (wave,) = plan.waves
    assert len(wave.stacks) == 3
    paths = [stack_files.stack_path(repo, s) for s in wave.stacks]
    old = [p.read_text() for p in paths]
    real = os.replace
    for failing in range(2 * len(paths)):  # each file: its staged write, then its swap
        calls = []

        def flaky(*args, failing=failing):
            calls.append(args)
            if len(calls) == failing + 1:
                raise OSError(5, "Input/output error")
            return real(*args)

        monkeypatch.setattr(file_swap.os, "replace", flaky)
        try:
            apply_wave(repo, plan, 1)
            raise AssertionError(f"a failure at write {failing + 1} was not reported")
        except BadInput as exc:
            assert "nothing was changed" in str(exc), exc
        finally:
            monkeypatch.undo()
        assert [p.read_text() for p in paths] == old, f"failing at write {failing + 1} left a half-applied wave"
        assert not [n for n in os.listdir(repo / "stacks") if n.startswith(".")], "staged or kept files left behind"
    apply_wave(repo, plan, 1)
    assert all(stack_files.read_stack(p).blueprint_ref == "web-service@2.1.0" for p in paths)


def test_without_hard_links_the_old_file_is_kept_by_a_copy(tmp_path, monkeypatch):
    path = tmp_path / "f.yaml"
    path.write_text("old\n")

    def no_links(*args):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(file_swap.os, "link", no_links)
    assert file_swap.replace_files({path: "new\n"}) == [path]
    assert path.read_text() == "new\n" and os.listdir(tmp_path) == ["f.yaml"]


def test_a_file_that_cannot_be_put_back_is_named_with_where_its_old_text_is(tmp_path, monkeypatch):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("old a\n")
    second.write_text("old b\n")
    real, calls = os.replace, []

    def failing_from_the_second_swap(src, dst):
        calls.append(dst)
        swaps = [d for d in calls if not Path(d).name.startswith(".")]
        if len(swaps) >= 2:  # b's swap, and putting a back
            raise OSError(5, "Input/output error")
        return real(src, dst)

    monkeypatch.setattr(file_swap.os, "replace", failing_from_the_second_swap)
    with pytest.raises(BadInput, match=r"a\.yaml already rewritten and could not be put back.*old text of a\.yaml in "
                                       r"\.a\.yaml\.\d+\.bp-old") as exc:
        file_swap.replace_files({first: "new a\n", second: "new b\n"})
    kept = tmp_path / str(exc.value).split(" in ")[-1].split(";")[0]
    assert kept.read_text() == "old a\n" and second.read_text() == "old b\n"


def test_an_expired_pin_is_removed_by_the_move_it_no_longer_holds_back_and_the_output_says_so(bp, repo):
    from datetime import date

    from store.pins import Pin, with_pin

    path = repo / stamped(bp)
    expired = Pin(reason="old freeze", approver="lead@example.com", expires=date(2020, 1, 1), version="web-service@2.0.0")
    path.write_text(with_pin(path, path.read_text(), expired))
    moved = bp("upgrade", "cart-dev", "--to", "2.1.0")
    assert moved.exit_code == 0 and "expired pin removed" in moved.output, moved.output
    assert read_pin(path) is None and read(repo).blueprint_ref == "web-service@2.1.0"


def test_the_invariants_refuse_what_no_typed_change_may_do(bp, repo):
    from datetime import date

    from store.change import Allow, Proposed, Snapshot, check_invariants
    from store.pins import Pin

    stamped(bp, "cart", "-b", "vm-app")  # vm-app holds a network of its own
    bp("retire", "cart-dev", "--reason", "gone")
    before = Snapshot(repo).existing("cart-dev")
    today = date(2026, 12, 5)
    net = before.stack.primary.network
    wider = before.stack.primary.model_copy(update={"network": net.model_copy(update={"cidr": net.cidr.supernet(2)})})
    moved = before.stack.model_copy(update={"placements": (wider,)})
    with pytest.raises(BadInput, match="only --move-network moves them"):
        check_invariants(before, Proposed(moved, None), today)
    check_invariants(before, Proposed(moved, None, Allow(move=True)), today)
    with pytest.raises(BadInput, match="retired since"):
        check_invariants(before, Proposed(before.stack.model_copy(update={"retirement": None}), None), today)
    other = Pin(reason="freeze", approver="lead@example.com", expires=date(2027, 1, 1), version="vm-app@0.0.1")
    with pytest.raises(BadInput, match="pass --unpin"):
        check_invariants(before, Proposed(before.stack, other, Allow(repin=True)), today)


def _dead_pid() -> int:
    """The pid of a process that has exited: what a change killed half way leaves in its aside files' names."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_new_texts_an_interrupted_change_staged_are_swept_by_the_next_change_and_a_running_ones_are_not(bp, repo):
    stamped(bp)
    path = stack_files.stack_path(repo, "cart-dev")
    dead = path.with_name(f".{path.name}.{_dead_pid()}{file_swap.STAGED}")
    running = path.with_name(f".{path.name}.1{file_swap.STAGED}")  # pid 1 always runs
    for aside in (dead, running):
        aside.write_text("half a stack file")
    assert bp("pin", "cart-dev", *PIN).exit_code == 0
    assert not dead.exists() and running.read_text() == "half a stack file"


def test_validate_fails_while_an_interrupted_swap_left_an_old_text_beside_its_file(bp, repo):
    stamped(bp)
    path = stack_files.stack_path(repo, "cart-dev")
    kept = path.with_name(f".{path.name}.{_dead_pid()}{file_swap.KEPT}")
    kept.write_text(path.read_text())
    result = bp("validate", "--all", "--no-run")
    assert result.exit_code == 1, result.output
    assert f"{kept.name}: a change was killed while swapping files in; this is the old text of {path.name}" \
        in result.output, result.output
    kept.unlink()
    assert bp("validate", "--all", "--no-run").exit_code == 0
