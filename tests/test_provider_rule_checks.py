"""The building blocks of the offline provider rules at their edges: a limit botocore states (exactly at it, one past),
a name's first and last character, reserved prefixes and suffixes, a network's prefix range. A slip here lets through
what AWS refuses at `pulumi up`, and the rules' own good/bad examples sit too far from the edges to notice."""

from __future__ import annotations

import pytest

from engine.provider_rules import aws_model
from engine.provider_rules.checks import name, network, zones_of
from engine.provider_rules.model import Registration

Limits = aws_model.Limits


def test_a_number_is_refused_below_min_and_above_max_and_accepted_at_both():
    limits = Limits("t", min=20, max=65536)
    assert limits.refuses(19) == "less than 20"
    assert limits.refuses(19.5) == "less than 20"
    assert limits.refuses(20) is None and limits.refuses(65536) is None
    assert limits.refuses(65537) == "more than 65536"


def test_a_bound_that_is_not_stated_is_not_checked():
    assert Limits("t", max=10).refuses(-(10**9)) is None
    assert Limits("t", min=10).refuses(10**9) is None
    assert Limits("t").refuses(0) is None and Limits("t").refuses("") is None


def test_a_flag_or_nothing_is_not_a_number_to_bound():
    assert Limits("t", min=2).refuses(True) is None  # True == 1 < 2, but a boolean member has no bounds
    assert Limits("t", min=2, max=3).refuses(None) is None


def test_a_string_is_refused_by_length_at_both_edges():
    limits = Limits("t", min=3, max=5)
    assert limits.refuses("ab") == "shorter than 3"
    assert limits.refuses("abc") is None and limits.refuses("abcde") is None
    assert limits.refuses("abcdef") == "longer than 5"


def test_a_list_or_map_is_refused_by_its_number_of_items():
    limits = Limits("t", min=1, max=2)
    assert limits.refuses([]) == "fewer than 1 items"
    assert limits.refuses({}) == "fewer than 1 items"
    assert limits.refuses(["a", "b"]) is None
    assert limits.refuses({"a": 1, "b": 2, "c": 3}) == "more than 2 items"


def test_a_pattern_must_match_the_whole_value_and_names_the_first_character_outside_it():
    limits = Limits("t", pattern="^[a-z]+$")
    assert limits.refuses("abc") is None
    assert limits.refuses("abC1") == "does not match ^[a-z]+$ (character 'C')"
    assert Limits("t", pattern="^ab$").refuses("abc") == "does not match ^ab$"


def test_a_java_word_class_is_ascii_and_a_unicode_letter_class_is_not():
    iam = Limits("t", pattern=r"^[\w+=,.@-]+$")
    assert iam.refuses("deploy-role") is None
    assert iam.refuses("rolé") == r"does not match ^[\w+=,.@-]+$ (character 'é')"
    assert Limits("t", pattern=r"^[\p{L}\p{Z}]+$").refuses("été à") is None


def test_an_enum_member_must_be_one_of_its_values_and_length_is_judged_first():
    assert Limits("t", enum=("gp3", "io2")).refuses("gp2") == "not one of gp3, io2"
    assert Limits("t", enum=("gp3", "io2")).refuses("gp3") is None
    assert Limits("t", max=2, enum=("abc",)).refuses("abc") == "longer than 2"


def test_botocore_states_the_limits_of_a_member_and_of_a_tag_list():
    role = aws_model.member("iam", "CreateRole", "RoleName")
    assert (role.min, role.max) == (1, 64) and role.refuses("r" * 65) == "longer than 64"
    listed = aws_model.tags("iam", "CreateRole", "Tags")  # a list of Key/Value structures
    mapped = aws_model.tags("resourcegroupstaggingapi", "TagResources", "Tags")  # a map
    assert listed.key.max == mapped.key.max == 128 and listed.value.max == mapped.value.max == 256
    assert listed.count.max == mapped.count.max == 50


def test_a_tag_value_in_any_alphabet_is_accepted_where_aws_accepts_it():
    value = aws_model.tags("iam", "CreateRole", "Tags").value
    assert value.refuses("Équipe paiements: 5 €") == r"does not match [\p{L}\p{Z}\p{N}_.:/=+\-@]* (character '€')"
    assert value.refuses("Équipe paiements, Zürich") == r"does not match [\p{L}\p{Z}\p{N}_.:/=+\-@]* (character ',')"
    assert value.refuses("Équipe Zürich 東京") is None


LABEL = name(chars="a-z0-9-", words="lowercase letters, digits and '-'", max_len=8, first="a-z",
             first_words="a letter", last="a-z0-9", no_double_hyphen=True, prefixes=("aws",), suffixes=("-x",),
             refused=("admin",))


@pytest.mark.parametrize("value, problem", [
    ("", "is 0 characters; 1-8 are allowed"),
    ("abcdefghi", "is 9 characters; 1-8 are allowed"),
    ("ab_c", "contains '_'; only lowercase letters, digits and '-' are allowed"),
    ("1abc", "starts with '1'; it must start with a letter"),
    ("ab-", "ends with '-', which is not allowed at the end"),
    ("a--b", "contains two consecutive hyphens"),
    ("awsome", "uses the reserved prefix 'aws'"),
    ("team-x", "uses the reserved suffix '-x'"),
    ("Admin", "contains 'A'; only lowercase letters, digits and '-' are allowed"),
    ("admin", "'admin' is reserved"),
    ("a", None),
    ("abcdefgh", None),
    ("a-b-c", None),
])
def test_a_name_is_judged_on_length_characters_ends_and_reserved_words(value, problem):
    assert LABEL(value, None) == problem


def test_a_name_by_default_needs_one_character_and_allows_two_hyphens_anywhere():
    plain = name(chars="a-z-", words="letters and '-'", max_len=5)
    assert plain("", None) == "is 0 characters; 1-5 are allowed"
    assert plain("a--b-", None) is None and plain("-", None) is None
    assert plain(42, None) is None  # not a string: another rule's business (the type)


@pytest.mark.parametrize("value, problem", [
    ("10.0.0.0/16", None),
    ("10.0.0.0/28", None),
    ("10.0.0.0/15", "is a /15; /16 to /28 are allowed"),
    ("10.0.0.0/29", "is a /29; /16 to /28 are allowed"),
    ("10.0.0.1/16", "is not an IPv4 network with no host bits set"),
    ("not-a-network", "is not an IPv4 network with no host bits set"),
])
def test_a_network_has_no_host_bits_and_a_prefix_within_the_apis_range(value, problem):
    assert network(16, 28)(value, None) == problem


def test_the_zones_of_subnets_are_known_only_when_every_subnet_is():
    reg = Registration("aws:eks/cluster:Cluster", {}, {}, {
        "s-a": ("aws:ec2/subnet:Subnet", {"availabilityZone": "eu-west-1a"}),
        "s-b": ("aws:ec2/subnet:Subnet", {"availabilityZone": "eu-west-1b"}),
        "s-c": ("aws:ec2/subnet:Subnet", {})})
    assert zones_of(["s-a", "s-b", "s-a"], reg) == {"eu-west-1a", "eu-west-1b"}
    assert zones_of(["s-a", "s-c"], reg) is None
    assert zones_of(["s-a", "s-unknown"], reg) is None
    assert zones_of("s-a", reg) == set()


def test_java_shorthand_classes_are_ascii_wherever_they_stand():
    assert Limits("t", pattern=r"^a\w$").refuses("aé") == r"does not match ^a\w$"
    assert Limits("t", pattern=r"^a\w$").refuses("a_") is None
    assert Limits("t", pattern=r"^\d+$").refuses("١٢") == r"does not match ^\d+$"
    assert Limits("t", pattern=r"^a\sb$").refuses("a\u00a0b") == r"does not match ^a\sb$"  # a no-break space
    assert Limits("t", pattern=r"^a\sb$").refuses("a\tb") is None
    assert Limits("t", pattern=r"^[\W]+$").refuses("é!") is None and Limits("t", pattern=r"^\W$").refuses("a")
    assert Limits("t", pattern=r"^a\.b$").refuses("a.b") is None and Limits("t", pattern=r"^a\.b$").refuses("axb")
    assert Limits("t", pattern=r"^a\\w$").refuses("a\\w") is None  # an escaped backslash, then a plain w


def test_a_character_is_named_only_for_a_pattern_of_one_character_class():
    assert Limits("t", pattern="^a[bc]$").refuses("ad") == "does not match ^a[bc]$"
    assert Limits("t", pattern="^[bc]a$").refuses("ba!") == "does not match ^[bc]a$"
    assert Limits("t", pattern="^([a-z]*)$").refuses("aB") == "does not match ^([a-z]*)$ (character 'B')"


def test_limits_read_from_botocore_are_shared_and_cannot_be_changed_by_a_caller():
    from dataclasses import FrozenInstanceError

    role = aws_model.member("iam", "CreateRole", "RoleName")
    assert aws_model.member("iam", "CreateRole", "RoleName") is role
    with pytest.raises(FrozenInstanceError):
        role.max = 1000  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        aws_model.tags("iam", "CreateRole", "Tags").value = role  # type: ignore[misc]
