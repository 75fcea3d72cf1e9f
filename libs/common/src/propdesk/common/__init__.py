"""propdesk backbone shared by every service: contracts and infrastructure, built once."""
