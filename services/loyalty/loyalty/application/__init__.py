"""Use cases of the loyalty service: earning points, reading balances and history."""
