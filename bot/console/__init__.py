"""The staff console: login pages, the single-page console and its canned replies."""
