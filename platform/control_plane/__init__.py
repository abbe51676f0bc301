"""The control plane (public schema): tenant registry console, onboarding, national feed, benchmarking."""
