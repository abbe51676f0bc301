"""Plans, subscriptions, the Stripe seam and resellers' wholesale accounts (public schema)."""
