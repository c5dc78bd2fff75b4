"""Touchpoint delivery through channels."""
