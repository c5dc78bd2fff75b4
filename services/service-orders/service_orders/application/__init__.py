"""Use cases of the service-orders service: commands, their handlers, queries and ports."""
