"""How the outside world reaches the loyalty service: HTTP and Kafka."""
