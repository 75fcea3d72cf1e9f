"""billing's domain logic, one module per sub-domain."""
