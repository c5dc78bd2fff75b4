"""Appointments, visits and purchases."""
