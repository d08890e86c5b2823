"""Ownership tags that every taggable AWS resource of a blueprint carries."""

from __future__ import annotations

import importlib
import inspect
from functools import cache
from typing import Mapping

def named(tags: Mapping[str, str], name: str, **extra: str) -> dict[str, str]:
    """`tags` plus a Name tag (what the AWS console shows) and any extra tags."""
    return {**tags, "Name": name, **extra}


@cache
def taggable(type_token: str) -> bool:
    """Whether a pulumi-aws resource type accepts `tags`, from the SDK class itself.

    `aws:ec2/vpc:Vpc` -> `pulumi_aws.ec2.Vpc`; tokens of other packages are not taggable here.
    """
    package, _, rest = type_token.partition(":")
    if package != "aws":
        return False
    module_path, _, class_name = rest.partition(":")
    module = module_path.split("/")[0]
    mod = importlib.import_module("pulumi_aws" if module == "index" else f"pulumi_aws.{module}")
    cls = getattr(mod, class_name, None)
    if cls is None:
        return False
    return "tags" in inspect.signature(cls._internal_init).parameters
