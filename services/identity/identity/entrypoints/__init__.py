"""How the outside world reaches the identity service."""
