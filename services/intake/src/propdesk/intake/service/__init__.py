"""intake's domain operations, one module per sub-domain. They flush and record events; never commit."""
