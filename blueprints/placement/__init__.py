"""Placement and IPAM: which pool a request lands in, its network and VLAN, decided against the stacks stamped.

`resolve` turns a request into a resolved blueprint; `place` places it; `pool_choice` ranks the pools;
`capacity` counts what pools have committed; `allocation_index` holds pool usage, networks and VLANs per switch;
`restamp` keeps a changed stack's placement. Imports the rest of `blueprints` only.
"""
