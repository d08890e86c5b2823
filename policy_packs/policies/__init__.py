"""Policy modules by domain; each exposes RULES, a list of `spec.Rule`."""
