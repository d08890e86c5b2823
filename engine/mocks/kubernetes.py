"""Mock answers for kubernetes resources and invokes."""

from __future__ import annotations
