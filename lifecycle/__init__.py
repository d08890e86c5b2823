"""The blueprint lifecycle: versions, upgrade diffs, pins, retirement and staged fleet rollouts in waves.

Imports `engine` (offline renders and their diff), `store` (every change goes through store.change) and
`blueprints`.
"""
