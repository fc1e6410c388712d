"""Where actions get the knowledge base and the area classifier from.

rasa-sdk instantiates actions itself with no arguments, so the action server installs both
here once in its lifespan (and tests install ones built from test data).
"""

from __future__ import annotations

from bot.area_classifier import BackgroundAreaClassifier
from knowledge.confidence import ConfidenceModel, load_model
from knowledge.search import KnowledgeBase

_current: KnowledgeBase | None = None
_areas: BackgroundAreaClassifier | None = None
_model: ConfidenceModel | None = None


class KnowledgeUnavailableError(RuntimeError):
    """The action server has not loaded a knowledge base (the index is missing)."""


def install(knowledge: KnowledgeBase | None, areas: BackgroundAreaClassifier | None = None) -> None:
    global _current, _areas
    _current = knowledge
    _areas = areas


def current() -> KnowledgeBase:
    if _current is None:
        raise KnowledgeUnavailableError("knowledge base not loaded")
    return _current


def area_classifier() -> BackgroundAreaClassifier | None:
    """None until installed; callers then fall back to the item's area or `other`."""
    return _areas


def confidence_model() -> ConfidenceModel:
    """The calibrated item-confidence model, read from its file on first use."""
    global _model
    if _model is None:
        _model = load_model()
    return _model
