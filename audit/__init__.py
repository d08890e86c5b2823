"""The audit application: stacks run offline and judged by the policy packs over the Analyzer protocol.

`run` audits named stacks (`bp audit`); `fleet` audits the whole fleet on the fleet runner's workers.
Imports `engine`, `policy_packs`, `store` and `blueprints`; reports render its results (reports/).
"""
