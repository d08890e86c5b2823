"""The `bp` command line: thin typer commands over the blueprints library and the offline engine."""

__version__ = "0.1.0"
