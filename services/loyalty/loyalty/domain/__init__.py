"""Points accounts: pure rules, no I/O."""
