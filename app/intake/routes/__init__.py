"""Intake API route modules: each has register(app), OPENAPI_PATHS and OPENAPI_SCHEMAS."""
