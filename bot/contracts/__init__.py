"""Shapes shared across layers and processes: the service areas, the messages a channel
receives and the conversation states. The bottom of the layers: imports nothing of ours
(see tests/unit/test_import_layers.py)."""
