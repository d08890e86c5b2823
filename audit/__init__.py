"""The audit application: stacks run offline and judged by the policy packs over the Analyzer protocol.

`run` audits named stacks (`bp audit`); `fleet` audits the whole fleet on the fleet runner's workers.
Evidence: `oscal` (assessment results, component definition), `attest` (in-toto statements in DSSE envelopes),
`evidence` (the signed folder), `deployed_state` (a `pulumi stack export`) and `drift` (deployed vs stack file),
`pulumi_events` (the engine's event lines). Imports `engine`, `policy_packs`, `store` and `blueprints`; reports
render its results (reports/).
"""
