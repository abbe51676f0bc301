"""The REST API: thin views over services and selectors, problem+json errors, OpenAPI schema."""
