"""The audit application's evidence: OSCAL documents, signed attestations, audits of deployed state and drift."""
