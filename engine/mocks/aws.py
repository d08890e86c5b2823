"""Mock answers for aws resources and invokes."""

from __future__ import annotations
