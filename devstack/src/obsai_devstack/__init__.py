"""Real dependencies as local processes: PostgreSQL+pgvector, Redis, Envoy, the services."""
