"""Custom Rasa actions (rasa-sdk protocol). Thin: they delegate to `knowledge` and render.

rasa-sdk imports every module of this package to find `Action` subclasses, so modules here
must have no side effects at import time.
"""
