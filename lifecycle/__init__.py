"""The blueprint lifecycle: upgrade diffs, pins, sunsets and staged fleet rollouts.

It sits above `blueprints` (catalog, stack files) and `engine` (offline renders and their diff).
"""
