"""Stack files at their edges: a stacks folder that is a file or missing, a stack named by path or not there, a file
that is not a stamped stack file or holds another stack, and a re-stamp that replaces only the blueprint key wherever
it sits among the file's other keys and comments."""

from __future__ import annotations

import json
import re

import pytest

from blueprints import yaml_io
from blueprints.errors import BadInput
from blueprints.placement.resolve import resolve
from blueprints.resolved import CONFIG_KEY
from store import stack_files
from tests.conftest import make_request


@pytest.fixture
def stack(catalog, sites):
    return resolve(make_request(blueprint="web-service@2.0.0", target="vsphere", region=None, site="ny1"), catalog, sites)


def test_a_stacks_folder_that_is_a_file_or_missing_is_named(tmp_path):
    with pytest.raises(BadInput, match="missing: the repository needs a stacks/ folder beside Pulumi.yaml"):
        stack_files.stacks_folder(tmp_path)
    (tmp_path / "stacks").write_text("")
    with pytest.raises(BadInput, match="is a file; a folder of stack files is expected here"):
        stack_files.list_stack_files(tmp_path)


def test_a_stack_is_found_by_name_or_path_and_a_missing_one_lists_the_others(repo, stack, catalog, sites):
    with pytest.raises(BadInput, match=r"no stack 'payments-dev' \(stacks in this repository: none\)"):
        stack_files.named_stack_file(repo, "payments-dev")
    path = stack_files.write_stack(repo, stack)
    other = resolve(make_request(team="orders", blueprint="web-service@2.0.0", target="vsphere", region=None, site="ny1"),
                    catalog, sites, [stack])
    stack_files.write_stack(repo, other)
    assert stack_files.named_stack_file(repo, "payments-dev") == path == stack_files.named_stack_file(repo, str(path))
    assert stack_files.stack_name(path) == "payments-dev"
    with pytest.raises(BadInput, match=r"no stack 'cart-dev' \(stacks in this repository: orders-dev, payments-dev\)"):
        stack_files.named_stack_file(repo, "cart-dev")
    with pytest.raises(BadInput, match="no stack 'elsewhere/Pulumi.cart-dev.yaml'"):
        stack_files.named_stack_file(repo, "elsewhere/Pulumi.cart-dev.yaml")


@pytest.mark.parametrize("data", [None, [], {"config": None}, {"config": []}, {"config": {"aws:region": "us-east-1"}},
                                  {"other": {CONFIG_KEY: {}}}])
def test_a_file_that_is_not_a_stamped_stack_file_says_so(tmp_path, data):
    with pytest.raises(BadInput, match=f"no '{CONFIG_KEY}' under 'config'; not a stamped stack file"):
        stack_files.stack_in(tmp_path / "Pulumi.x-dev.yaml", data)
    with pytest.raises(BadInput, match="not a stamped stack file"):
        stack_files.legacy_in(tmp_path / "Pulumi.x-dev.yaml", data)


def test_a_file_holding_another_stack_and_one_with_fleet_tables_are_refused(repo, stack):
    path = stack_files.write_stack(repo, stack)
    body = stack_files.config_of(stack)[CONFIG_KEY]
    for other in ("orders-dev", "zeta-dev"):  # named for a stack sorting before it, and after it
        with pytest.raises(BadInput, match="holds stack payments-dev; the file must be Pulumi.payments-dev.yaml"):
            stack_files.stack_in(path.with_name(f"Pulumi.{other}.yaml"), {"config": {CONFIG_KEY: body}})
    legacy = {**{k: v for k, v in body.items() if k != "decisions"}, "fleet": {}}
    with pytest.raises(BadInput, match="fleet: the file copies the sites map's fleet tables instead of recording "
                                       "decisions; `bp stacks migrate` rewrites it"):
        stack_files.stack_in(path, {"config": {CONFIG_KEY: legacy}})
    assert stack_files.legacy_in(path, {"config": {CONFIG_KEY: body}}) is None
    assert stack_files.legacy_in(path, {"config": {CONFIG_KEY: {**body, "fleet": {}}}}) is None, "decisions win"


def test_read_each_keeps_the_good_stacks_and_names_each_broken_one(repo, stack):
    stack_files.write_stack(repo, stack)
    stack_files.stack_path(repo, "orders-dev").write_text("config: {}\n")
    good, broken = stack_files.read_each(repo)
    assert [s.stack for s in good] == ["payments-dev"] and list(broken) == ["orders-dev"]
    assert "not a stamped stack file" in str(broken["orders-dev"])
    with pytest.raises(BadInput, match="Pulumi.orders-dev.yaml"):
        stack_files.read_all(repo)


def test_a_rendered_stack_file_disables_every_credentialed_default_provider(stack):
    text = stack_files.render(stack)
    assert text.startswith("# Stamped by `bp new` from web-service@2.0.0: the resolved blueprint for stack payments-dev.\n"
                           "# Review it in a pull request;")
    assert "  pulumi:disable-default-providers:\n  - aws\n  - kubernetes\n  - vsphere\n" in text
    assert stack.retirement is None and "retirement" not in text, "fields left unset are not written"


def test_an_existing_stack_file_is_rewritten_only_with_force(repo, stack):
    path = stack_files.write_stack(repo, stack)
    with pytest.raises(BadInput, match="Pulumi.payments-dev.yaml exists; pass --force to replace it"):
        stack_files.write_stack(repo, stack)
    assert stack_files.write_stack(repo, stack, force=True) == path


def _restamped(path, text: str, stack) -> str:
    return stack_files.render_update(path, text, stack)


def test_a_restamp_replaces_only_the_blueprint_key_wherever_it_sits(repo, stack):
    path = stack_files.write_stack(repo, stack)
    moved = stack.model_copy(update={"request": stack.request.model_copy(update={"owner": "ops@example.com"})})
    text = path.read_text()
    # the blueprint key followed by other config keys, with a comment and a blank line that belong to the next one
    after = "\n  # the team's own key\n  team:note: x\n  team:owner: y\n"
    out = _restamped(path, text + after, moved)
    assert out == stack_files.render(moved) + after
    # the blueprint key last in config, then a top-level key Pulumi adds
    last = text + "encryptedkey: AQICAHh0\n"
    out = _restamped(path, last, moved)
    assert out == stack_files.render(moved) + "encryptedkey: AQICAHh0\n"
    assert out.splitlines()[0] == text.splitlines()[0]


def test_a_restamp_rewrites_its_own_header_line_and_keeps_anyone_elses(repo, stack, catalog, sites):
    path = stack_files.write_stack(repo, stack)
    newer = stack.model_copy(update={"request": stack.request.model_copy(update={"blueprint": "web-service@2.1.0"})})
    out = _restamped(path, path.read_text(), newer)
    assert out.splitlines()[0] == ("# Stamped by `bp new` from web-service@2.1.0: the resolved blueprint for stack "
                                   "payments-dev.")
    own = "# Owned by the payments team\n" + path.read_text()
    assert _restamped(path, own, newer).startswith("# Owned by the payments team\n# Stamped by `bp new` from "
                                                   "web-service@2.0.0")


def test_a_quoted_blueprint_key_is_rewritten_in_place(repo, stack):
    path = stack_files.write_stack(repo, stack)
    quoted = path.read_text().replace(f"  {CONFIG_KEY}:", f"  '{CONFIG_KEY}':", 1)
    assert "owner: ops@example.com" in _restamped(path, quoted, stack.model_copy(update={
        "request": stack.request.model_copy(update={"owner": "ops@example.com"})}))


def _flow(stack) -> str:
    """The stack's blueprint value in flow style, on one line."""
    return json.dumps(stack_files.config_of(stack)[CONFIG_KEY])


@pytest.mark.parametrize("layout, line", [
    ("# mine\nconfig: {{{key}: {value}}}\n", 2),  # config in flow style on one line
    ("# mine\nconfig: {{\n  team:note: x,\n  {key}: {value}\n}}\n", 4),  # in flow style over lines: the key begins one
    ("# mine\nconfig:\n  team:note: x\n  ? {key}\n  : {value}\n", 4),  # an explicit key: its value on the next line
])
def test_a_blueprint_key_not_on_a_block_line_of_its_own_is_refused_and_nothing_written(repo, stack, layout, line):
    path = stack_files.write_stack(repo, stack)
    path.write_text(layout.format(key=CONFIG_KEY, value=_flow(stack)))
    before = path.read_text()
    assert stack_files.read_stack(path) == stack, "the file is a valid stack file, only not rewritable in place"
    with pytest.raises(BadInput, match=rf"^{re.escape(str(path))}:{line}: '{CONFIG_KEY}' is not a block key on a line "
                                       "of its own"):
        stack_files.write_stack(repo, stack, force=True)
    assert path.read_text() == before


def test_a_blueprint_value_in_flow_style_is_replaced_and_the_next_keys_comment_kept(repo, stack):
    path = stack_files.write_stack(repo, stack)
    owner = stack.model_copy(update={"request": stack.request.model_copy(update={"owner": "ops@example.com"})})
    text = f"config:\n  {CONFIG_KEY}: {_flow(stack)}\n  # the team's own key\n  team:note: x\n"
    out = _restamped(path, text, owner)
    block = stack_files.render(owner).split("config:\n", 1)[1].split(f"  {CONFIG_KEY}:", 1)[1]
    assert out == f"config:\n  {CONFIG_KEY}:{block}  # the team's own key\n  team:note: x\n"


@pytest.mark.parametrize("body", ["payments-dev", ["payments-dev"]])
def test_a_blueprint_that_is_not_a_mapping_is_refused_as_malformed_not_as_legacy(tmp_path, body):
    path = tmp_path / "Pulumi.payments-dev.yaml"
    path.write_text(yaml_io.dump_data({"config": {CONFIG_KEY: body}}))
    with pytest.raises(BadInput, match=f"config.{CONFIG_KEY}: ") as refused:
        stack_files.read_stack(path)
    assert "fleet tables" not in str(refused.value)
    assert stack_files.legacy_in(path, yaml_io.load_data(path)) is None


def test_a_blueprint_without_decisions_or_fleet_tables_names_the_missing_decisions(repo, stack):
    path = stack_files.write_stack(repo, stack)
    body = {k: v for k, v in stack_files.config_of(stack)[CONFIG_KEY].items() if k != "decisions"}
    with pytest.raises(BadInput, match=f"config.{CONFIG_KEY}.decisions: "):
        stack_files.stack_in(path, {"config": {CONFIG_KEY: body}})
    assert stack_files.legacy_in(path, {"config": {CONFIG_KEY: body}}) is None, "not legacy: it has no fleet tables"


def test_a_legacy_file_whose_tables_lack_what_it_uses_is_refused_naming_the_file(tmp_path, stack, sites):
    path = tmp_path / "Pulumi.payments-dev.yaml"
    body = {k: v for k, v in stack_files.config_of(stack)[CONFIG_KEY].items() if k != "decisions"}
    tables = sites.fleet.model_dump(mode="json", exclude_none=True)
    assert stack_files.legacy_in(path, {"config": {CONFIG_KEY: {**body, "fleet": tables}}}).decisions == stack.decisions
    del tables["engines"]["postgres"]
    with pytest.raises(BadInput, match=rf"^{re.escape(str(path))}: data_services.postgres: the fleet has no release of "
                                       "postgres"):
        stack_files.legacy_in(path, {"config": {CONFIG_KEY: {**body, "fleet": tables}}})
