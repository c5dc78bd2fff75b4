"""Appointments, visits and purchases: the rules, free of I/O."""
