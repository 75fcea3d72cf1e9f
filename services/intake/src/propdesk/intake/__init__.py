"""intake: the front desk and the registry every other service projects from."""
