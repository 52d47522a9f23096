"""Fleet management (issue 16): a kiosk's agent publishes documented aggregates to an MQTT
broker from an outbox in its SQLite; a central collector writes them to PostgreSQL exactly
once. The wire contract is in messages.py and docs/fleet.md. Off by default."""
