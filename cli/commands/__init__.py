"""One module per command group, each exposing `app` (or a single command function)."""
