"""Tenants: the Tenant and Domain registry (public schema) and the apps that live in every tenant schema."""
