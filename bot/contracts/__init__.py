"""Shapes shared across layers and processes: the service areas (`areas`), the messages a
channel receives and sends and the conversation states (`conversation`), the `data` of every
reply (`replies`), handoff reasons and ticket statuses (`tickets`), follow-up statuses
(`follow_ups`). The bottom of the layers: imports nothing of ours above it (see
tests/unit/test_import_layers.py)."""
