"""The identity rules: pure values and decisions, no I/O."""
