"""Where actions get the knowledge base from.

rasa-sdk instantiates actions itself with no arguments, so the action server installs the
knowledge base here once in its lifespan (and tests install one built from test data).
"""

from __future__ import annotations

from knowledge.search import KnowledgeBase

_current: KnowledgeBase | None = None


class KnowledgeUnavailableError(RuntimeError):
    """The action server has not loaded a knowledge base (the index is missing)."""


def install(knowledge: KnowledgeBase | None) -> None:
    global _current
    _current = knowledge


def current() -> KnowledgeBase:
    if _current is None:
        raise KnowledgeUnavailableError("knowledge base not loaded")
    return _current
