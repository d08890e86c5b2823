"""Print an upgrade diff the way a pull request reviewer reads it: one line per resource, then notes."""

from __future__ import annotations

from rich.markup import escape

from cli.context import console

SIGNS = {"create": ("+", "green"), "update": ("~", "yellow"), "replace": ("+-", "magenta"), "delete": ("-", "red")}
SHOWN_PROPERTIES = 4
# Every resource carries the blueprint version as a tag (AWS), label or annotation (Kubernetes).
VERSION_STAMPS = (".blueprint", "cloud-blueprints.io/blueprint")


def counts_line(counts: dict[str, int]) -> str:
    """`2 to create, 5 to update, 0 to replace, 0 to delete`."""
    return ", ".join(f"{counts[a]} to {a}" for a in ("create", "update", "replace", "delete"))


def _version_stamp_only(change) -> bool:
    """An update that only re-stamps the blueprint version on a tag, label or annotation."""
    return (change.action == "update" and not change.notes and bool(change.properties)
            and all(p.endswith(VERSION_STAMPS) for p in change.properties))


def print_upgrade(upgrade) -> None:
    """The diff of one stack's version change; updates that only re-stamp the version tag are counted, not listed."""
    def out(text: str) -> None:
        console.print(text, soft_wrap=True)  # the shared console, so a command's report goes out in one write

    out(f"[bold]{upgrade.stack}[/]: {upgrade.before.blueprint_ref} -> {upgrade.after.blueprint_ref}")
    stamped = [c for c in upgrade.diff.changes if _version_stamp_only(c)]
    for change in upgrade.diff.changes:
        if _version_stamp_only(change):
            continue
        sign, colour = SIGNS[change.action]
        props = list(change.replace_because or change.properties)
        more = f" (+{len(props) - SHOWN_PROPERTIES} more)" if len(props) > SHOWN_PROPERTIES else ""
        why = f"  [dim]{'because ' if change.replace_because else ''}{escape(', '.join(props[:SHOWN_PROPERTIES]))}{more}[/]" if props else ""
        loss = " [bold red]DATA LOSS[/]" if change.data_losing else ""
        out(f"  [{colour}]{sign:>2} {change.action:<7}[/] {escape(change.type)} "
            f"{escape(change.urn.rsplit('::', 1)[-1])}{loss}{why}")
        for note in change.notes:
            out(f"             [cyan]note:[/] {escape(note)}")
    if stamped:
        out(f"  [yellow] ~ update [/] {len(stamped)} more resources: only the blueprint version tag or label")
    lost = len(upgrade.diff.data_losing)
    verdict = f"[bold red]{lost} data-losing[/]" if lost else "[green]no data loss[/]"
    out(f"  {counts_line(upgrade.diff.counts())}; {verdict}")
