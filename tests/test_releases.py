"""Releases as data: every release line of the sites map, what each release fixes and when a patch is due."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from blueprints.releases import Releases, exposures
from blueprints.sites import DEMO_SITES, load_sites

SITES = load_sites()
REDIS_746 = "redis:7.4.6@sha256:a9cc41d6d01da2aa26c219e4f99ecbeead955a7b656c1c499cce8922311b2514"


def _releases(**lines) -> dict:
    return {"patch_days": {"critical": 7, "high": 30, "medium": 90, "low": 180}, "lines": lines}


def _line(*releases, kind="image") -> dict:
    return {"kind": kind, "releases": list(releases)}


def _release(version: str, published: str, *fixes, value: str | None = None) -> dict:
    return {"version": version, "value": value or f"redis:{version}@sha256:{version[-1] * 64}", "published": published,
            "fixes": list(fixes), "source": "https://example.com/notes"}


def test_the_demo_sites_map_lists_redis_7_4_9_with_the_fix_for_cve_2026_23479_and_the_newer_7_4_releases():
    line = SITES.releases.lines["redis-7-image"]
    fixed = next(r for r in line.releases if r.version == "7.4.9")
    assert "@sha256:" in fixed.value and [a.id for a in fixed.fixes] == ["CVE-2026-23479"]
    assert [r.version for r in line.releases] == ["7.4.6", "7.4.9", "7.4.10", "7.4.11"]
    assert all("not verified" in r.source for r in line.releases[1:]), "an unverified digest says so where recorded"
    assert SITES.fleet.engines["redis"]["7"].image == line.newest().value, "new stacks get the newest release"


def test_an_engine_image_that_is_not_a_listed_release_is_refused():
    from blueprints.sites import SitesMap

    data = SITES.model_dump(mode="json")
    data["fleet"]["engines"]["redis"]["7"].update(image_line=None, image="redis:7.4.99@sha256:" + "e" * 64)
    with pytest.raises(ValidationError, match=r"fleet.engines.redis.7.image: redis:7.4.99 is not a release listed"):
        SitesMap.model_validate(data)
    assert SitesMap.model_validate(SITES.model_dump(mode="json")).releases == SITES.releases


def test_an_engine_image_is_written_once_as_its_line_and_is_the_lines_newest_release():
    from blueprints.sites import SitesMap

    text = DEMO_SITES.read_text()
    assert "image: redis:" not in text and "image_line: redis-7-image" in text
    assert SITES.fleet.engines["redis"]["7"].image == SITES.releases.lines["redis-7-image"].newest().value
    data = SITES.model_dump(mode="json")
    older = SITES.releases.lines["redis-7-image"].releases[0].value
    data["fleet"]["engines"]["redis"]["7"]["image"] = older
    with pytest.raises(ValidationError, match=r"fleet.engines.redis.7.image: redis:7.4.6@\S+ is not the newest "
                       r"release of redis-7-image; give image_line alone"):
        SitesMap.model_validate(data)
    data["fleet"]["engines"]["redis"]["7"].update(image=None, image_line="redis-8-image")
    with pytest.raises(ValidationError, match=r"fleet.engines.redis.7.image_line: redis-8-image is not a release line"):
        SitesMap.model_validate(data)


def test_an_older_release_misses_what_the_newer_ones_fix_due_by_severity():
    found = exposures(SITES.releases, "redis-7-image", REDIS_746)
    assert [(e.advisory.id, e.deadline) for e in found] == [("CVE-2026-23479", date(2026, 6, 7))]
    assert found[0].days_left(date(2026, 6, 1)) == 6 and found[0].days_left(date(2026, 6, 10)) == -3


def test_the_newest_release_and_an_unlisted_value_miss_nothing_listed():
    newest = SITES.releases.lines["redis-7-image"].newest().value
    assert exposures(SITES.releases, "redis-7-image", newest) == []
    assert exposures(SITES.releases, "redis-7-image", "redis:9@sha256:" + "0" * 64) == []


def test_a_critical_fix_is_due_in_seven_days():
    releases = Releases.model_validate(_releases(r=_line(
        _release("1.0.1", "2026-01-01"), _release("1.0.2", "2026-02-01", {"id": "CVE-2026-0001", "severity": "critical"}))))
    [found] = exposures(releases, "r", releases.lines["r"].releases[0].value)
    assert found.deadline == date(2026, 2, 8)


@pytest.mark.parametrize("lines, problem", [
    ({"r": _line(_release("1.0.2", "2026-02-01"), _release("1.0.1", "2026-01-01"))}, "oldest first"),
    ({"r": _line(_release("1.0.1", "2026-01-01", value="redis:1.0.1"))}, "pinned by digest"),
    ({"r": _line(_release("1.0.1", "2026-01-01", {"id": "CVE-1", "severity": "high"}))}, "fixes.0.id"),
    ({"r": _line(_release("1.0.1", "2026-01-01", {"id": "CVE-2026-1234", "severity": "urgent"}))}, "severity"),
])
def test_a_bad_release_line_is_refused_naming_the_problem(lines, problem):
    with pytest.raises(ValidationError, match=problem):
        Releases.model_validate(_releases(**lines))


def test_patch_days_must_cover_every_severity():
    data = _releases(r=_line(_release("1.0.1", "2026-01-01")))
    del data["patch_days"]["low"]
    with pytest.raises(ValidationError, match="patch_days: missing low"):
        Releases.model_validate(data)
