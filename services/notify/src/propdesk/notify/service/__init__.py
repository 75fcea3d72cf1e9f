"""notify's domain operations."""
