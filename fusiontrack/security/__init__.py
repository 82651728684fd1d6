"""Security of the registry: log-in throttling, sessions, MFA, headers, exports, backups."""
