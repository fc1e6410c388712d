"""Service-quality reports for supervisors (效能监管): figures computed from the app DB."""
