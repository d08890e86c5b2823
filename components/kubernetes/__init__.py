"""Kubernetes components shared by the AWS and vSphere targets: tenancy, VKS clusters, operator-run data services."""
