"""Mock answers for vsphere resources and invokes."""

from __future__ import annotations
