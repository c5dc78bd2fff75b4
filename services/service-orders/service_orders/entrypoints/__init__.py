"""How the world reaches the service: the HTTP API."""
