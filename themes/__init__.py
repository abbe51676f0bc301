"""Per-tenant (later per-reseller) branding: display name, logo and colours on every page."""
