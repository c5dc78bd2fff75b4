"""Event-sourced points accounts."""
