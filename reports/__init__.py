"""Every report a person or a machine reads: the HTML page shell and the audit and fleet reports.

`page` is the self-contained HTML page shell; `audit` writes JSON, SARIF, JUnit and Markdown; `audit_html` the
audit page; `fleet` the fleet report as a table, Markdown or a page. Imports `audit`, `fleet` and `policy_packs`.
"""
