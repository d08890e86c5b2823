"""Kubernetes components shared by the AWS and vSphere targets."""
