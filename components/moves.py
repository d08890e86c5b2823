"""Moves as Pulumi aliases: a resource a blueprint version renamed keeps its state under the new name."""

from __future__ import annotations

from typing import Sequence

import pulumi

from blueprints.versions import Move


def alias_moves(moves: Sequence[Move], stack: str) -> pulumi.ResourceTransformation:
    """A transformation that gives each moved resource an alias to its old name.

    Set on the composition root, it reaches every child, so a component only has to use the new
    name; the real engine then matches the old state and updates in place instead of replacing.
    """
    old_by_new = {(move.type, move.names(stack)[1]): move.names(stack)[0] for move in moves}

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        old = old_by_new.get((args.type_, args.name))
        if old is None:
            return None
        alias = pulumi.ResourceOptions(aliases=[pulumi.Alias(name=old)])
        return pulumi.ResourceTransformationResult(args.props, pulumi.ResourceOptions.merge(args.opts, alias))

    return transform
