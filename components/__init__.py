"""Pulumi ComponentResources by target (aws, vsphere, kubernetes) and the TeamBlueprint that composes them."""
