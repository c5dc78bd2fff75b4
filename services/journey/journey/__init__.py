"""Lifecycle stages, durable timers and touchpoints."""
