"""Every stamped stack at once: the fleet as read, its checks, sweeps, report data and operator manifests.

`stamped` reads the fleet; `invariants` is the one definition of valid that `bp validate` and `bp fleet check`
both call, and `checked` keeps its findings by a digest of all it reads (for `bp validate STACK`); `sweep` finds
collisions by sorting; `report` is the capacity and ownership report's data; `operator` and `operator_files` render
Pulumi Kubernetes Operator manifests. Imports `store` and `blueprints`, and `engine` only to run the stacks'
programs for `bp validate` (`program_runs`: on the fleet runner, or through the engine server).
"""
