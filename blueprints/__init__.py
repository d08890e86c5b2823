"""The vocabulary of Cloud Blueprints: request and catalog models, the sites map, placement and IPAM."""
