"""Stack files on disk: reading them, the one way to change them, and the allocation ledger.

`stack_paths` says where stack files are (no models imported); `stack_files` reads and renders them, and
`stack_data` keeps what each one parsed into by the digest of its bytes; `change` is the one way to change them (the
repository `lock`, a typed change, the invariants, an all-or-nothing `file_swap`); `stamp` writes a new or
re-stamped request through it; `pins` is a pin as a stack file records it; `ledger` is stacks/allocations.txt;
`outputs` guards the files and folders commands write at the user's word. Imports `blueprints` only (the layer below).
"""
