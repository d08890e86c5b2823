"""The vocabulary of Cloud Blueprints: request and catalog models, the sites map, the resolved blueprint and the plan.

Also value kinds, free text, errors, YAML reading, the support calendar and the one clock; `placement/` places
requests and allocates their networks; `plan/` turns a resolved blueprint into one typed plan per target.
The bottom layer: imports no other room of the project.
"""
