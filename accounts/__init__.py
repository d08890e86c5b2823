"""AWS account tooling around `pulumi up`: the state backend, the account inventory and the preflight checks.

Written with boto3 and tested with moto; the CLI commands in `cli/commands/` only call into here.
"""
