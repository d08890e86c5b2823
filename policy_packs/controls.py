"""The one table from control themes to the framework controls they evidence.

A policy names its themes; its controls are looked up here, so a control id is written once. Frameworks:
NIST SP 800-53 rev. 5, CIS AWS Foundations Benchmark v3.0.0, CIS Kubernetes Benchmark v1.9.0, PCI DSS v4.0, and
the SOC 2 Trust Services Criteria (2017, rev. 2022).
"""

from __future__ import annotations

NIST = "NIST SP 800-53 rev. 5"
CIS_AWS = "CIS AWS Foundations v3.0.0"
CIS_K8S = "CIS Kubernetes v1.9.0"
PCI = "PCI DSS v4.0"
SOC2 = "SOC 2"

FRAMEWORKS: tuple[str, ...] = (NIST, CIS_AWS, CIS_K8S, PCI, SOC2)
"""Every framework, in the order reports show them."""

TAG_PREFIX = {NIST: "nist-800-53", CIS_AWS: "cis-aws", CIS_K8S: "cis-k8s", PCI: "pci-dss", SOC2: "soc2"}
"""How a control is written in a policy's pulumi-policy `tags` (`<prefix>:<control id>`)."""

THEMES: dict[str, dict[str, tuple[str, ...]]] = {
    "asset-ownership": {NIST: ("CM-8", "PM-5"), PCI: ("12.5.1",), SOC2: ("CC6.1",)},
    "secret-handling": {NIST: ("IA-5(7)", "SC-28"), CIS_K8S: ("5.4.1",), PCI: ("8.3.2", "8.6.2"), SOC2: ("CC6.1",)},
    "least-functionality": {NIST: ("CM-7", "AC-6"), PCI: ("2.2.4",), SOC2: ("CC6.8",)},
    "encryption-at-rest": {NIST: ("SC-28", "SC-28(1)"), CIS_AWS: ("2.1.1", "2.2.1", "2.3.1"), PCI: ("3.5.1",), SOC2: ("CC6.1", "CC6.7")},
    "encryption-in-transit": {NIST: ("SC-8", "SC-8(1)"), PCI: ("4.2.1",), SOC2: ("CC6.7",)},
    "key-management": {NIST: ("SC-12", "SC-13"), CIS_AWS: ("3.6",), PCI: ("3.6.1", "3.7.4"), SOC2: ("CC6.1",)},
    "public-access": {NIST: ("AC-3", "AC-4", "SC-7"), CIS_AWS: ("2.1.4", "2.3.3"), PCI: ("1.3.1", "1.4.1"), SOC2: ("CC6.6",)},
    "network-segmentation": {NIST: ("SC-7", "SC-7(5)"), CIS_AWS: ("5.2", "5.3", "5.4"), CIS_K8S: ("5.3.2",), PCI: ("1.2.1", "1.3.1"), SOC2: ("CC6.6",)},
    "audit-logging": {NIST: ("AU-2", "AU-12"), CIS_AWS: ("3.7",), PCI: ("10.2.1",), SOC2: ("CC7.2",)},
    "log-retention": {NIST: ("AU-11", "AU-9"), PCI: ("10.5.1",), SOC2: ("CC7.2",)},
    "backup-recovery": {NIST: ("CP-9", "CP-10"), PCI: ("12.10.1",), SOC2: ("A1.2", "A1.3")},
    "availability": {NIST: ("CP-2", "SC-5", "SC-36"), SOC2: ("A1.1", "A1.2")},
    "data-protection": {NIST: ("CP-9", "SI-12"), PCI: ("3.2.1",), SOC2: ("C1.1",)},
    "strong-authentication": {NIST: ("IA-2", "IA-5"), CIS_AWS: ("2.3.2",), PCI: ("8.3.1",), SOC2: ("CC6.1",)},
    "instance-metadata": {NIST: ("AC-3", "SC-7"), CIS_AWS: ("5.6",), PCI: ("2.2.1",), SOC2: ("CC6.6",)},
    "least-privilege": {NIST: ("AC-6", "AC-6(10)"), CIS_K8S: ("5.1.1", "5.1.3"), PCI: ("7.2.1",), SOC2: ("CC6.3",)},
    "workload-isolation": {NIST: ("AC-6", "SC-39"), CIS_K8S: ("5.2.2", "5.2.3", "5.2.4", "5.2.5"), PCI: ("2.2.1",), SOC2: ("CC6.8",)},
    "pod-hardening": {NIST: ("CM-6", "AC-6(9)"), CIS_K8S: ("5.2.6", "5.2.7", "5.2.8", "5.2.9"), PCI: ("2.2.1",), SOC2: ("CC6.8",)},
    "capacity-limits": {NIST: ("SC-6", "SC-5"), CIS_K8S: ("5.7.1",), SOC2: ("A1.1",)},
    "namespace-isolation": {NIST: ("SC-7", "AC-4"), CIS_K8S: ("5.3.2", "5.7.1", "5.2.1"), PCI: ("1.2.1",), SOC2: ("CC6.6",)},
    "supply-chain": {NIST: ("CM-2", "SR-11", "SI-7"), PCI: ("6.3.2",), SOC2: ("CC8.1",)},
    "configuration-baseline": {NIST: ("CM-2", "CM-6"), PCI: ("2.2.1",), SOC2: ("CC7.1",)},
    "data-residency": {NIST: ("AC-20", "SA-9(5)"), PCI: ("12.8.1",), SOC2: ("C1.1",)},
    "exception-management": {NIST: ("CA-7", "PM-4", "RA-7"), PCI: ("12.4.1",), SOC2: ("CC3.2",)},
}
"""Theme -> framework -> controls. Frameworks a theme does not reach are simply absent."""


def controls_of(themes: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The controls a set of themes evidences, by framework, each control once, in table order."""
    out: dict[str, list[str]] = {}
    for theme in themes:
        for framework, ids in THEMES[theme].items():
            bucket = out.setdefault(framework, [])
            bucket.extend(i for i in ids if i not in bucket)
    return {fw: tuple(out[fw]) for fw in FRAMEWORKS if fw in out}


def control_tags(themes: tuple[str, ...]) -> list[str]:
    """The controls as pulumi-policy tags, `<framework prefix>:<id>`, so they travel over the Analyzer protocol."""
    return [f"{TAG_PREFIX[fw]}:{cid}" for fw, ids in controls_of(themes).items() for cid in ids]


def parse_control_tag(tag: str) -> tuple[str, str] | None:
    """`nist-800-53:SC-28` -> (NIST, "SC-28"); None for a tag that is not a control."""
    prefix, _, cid = tag.partition(":")
    for fw, p in TAG_PREFIX.items():
        if p == prefix and cid:
            return fw, cid
    return None
