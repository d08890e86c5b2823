"""CrossGuard policy packs: importable policy modules by domain (`policies/`) and one pack folder per target.

The same policy objects serve the real engine (`pulumi preview --policy-pack policy_packs/<pack>`) and the offline
`bp audit`, which drives each pack over the Analyzer gRPC protocol.
"""
