"""`bp schema`: the JSON Schema of a blueprint request, for editors and portals."""

from __future__ import annotations

from cli.context import print_json


def schema() -> None:
    """Print the JSON Schema of a blueprint request (the fields of `bp new --from FILE`)."""
    from blueprints.models import BlueprintRequest

    print_json(BlueprintRequest.model_json_schema())
