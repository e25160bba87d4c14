"""Workflows that change several rows. Each service owns its transaction."""
