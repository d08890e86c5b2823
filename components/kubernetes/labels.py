"""Kubernetes label values from free text such as e-mail addresses and blueprint refs."""

from __future__ import annotations

import re


def label_value(text: str) -> str:
    """A valid label value: at most 63 of [A-Za-z0-9._-], starting and ending alphanumeric."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text.replace("@", "_at_"))[:63]
    return cleaned.strip("._-")
