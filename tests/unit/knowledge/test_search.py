from __future__ import annotations

import pytest

from bot.settings import Settings
from knowledge.chinese import to_simplified
from knowledge.configure import knowledge_paths
from knowledge.dense import item_passage
from knowledge.index.embedded import EmbeddedIndex
from knowledge.indexing import ensure_index, rebuild_index
from knowledge.search import KnowledgeBase
from knowledge.segment import Segmenter
from knowledge.service import open_store, prepare_knowledge
from knowledge.synonyms import load_synonyms


@pytest.mark.model_scores
@pytest.mark.parametrize(
    ("question", "item_id"),
    [
        ("补办身份证要带什么材料", "certificates.id_card_reissue"),
        ("驾照丢了去哪补", "transport.driving_license_reissue"),
        ("驾驶执照补办要多少钱", "transport.driving_license_reissue"),
        ("住房公积金租房提取要什么", "housing.provident_fund_rent_withdrawal"),
        ("孩子明年上小学怎么报名", "education.primary_school_enrollment"),
        ("异地就医备案怎么弄", "healthcare.cross_province_medical_filing"),
    ],
)
def test_names_and_aliases_find_the_item_first(kb: KnowledgeBase, question: str, item_id: str) -> None:
    hits = kb.search(question)
    assert hits[0].item.id == item_id
    assert hits[0].confidence >= 0.9


@pytest.mark.model_scores
def test_text_match_is_less_confident_than_a_name(kb: KnowledgeBase) -> None:
    hits = kb.search("提取公积金交房租")
    assert hits[0].item.id == "housing.provident_fund_rent_withdrawal"
    assert hits[0].matched_by == "text"
    assert hits[0].confidence < 0.9


def test_a_follow_up_without_item_matches_no_name(kb: KnowledgeBase) -> None:
    assert kb.match_names("那要多少钱") == []


def test_synonyms_normalise_once(settings: Settings) -> None:
    segmenter = Segmenter(None, load_synonyms(settings.nlu_data_dir / "synonyms.yml"))
    assert segmenter.normalise("公积金和住房公积金") == "住房公积金和住房公积金"
    assert segmenter.normalise("驾照") == "驾驶证"


def test_seeding_and_index_happen_only_when_inputs_change(settings: Settings) -> None:
    assert prepare_knowledge(settings) == (True, True)
    assert prepare_knowledge(settings) == (False, False)
    paths, store = knowledge_paths(settings), open_store(settings)
    backend = EmbeddedIndex(settings.effective_index_path)
    assert ensure_index(paths, store, backend) is False
    assert rebuild_index(paths, store, backend) == backend.count()
    assert backend.count("item") == len(store.items()) >= 9


@pytest.mark.model_scores
def test_traditional_chinese_finds_the_same_item(kb: KnowledgeBase) -> None:
    assert to_simplified("補辦身份證要帶什麼材料") == "补办身份证要带什么材料"
    hits = kb.search("補辦駕駛證要帶什麼材料")
    assert hits[0].item.id == "transport.driving_license_reissue"
    assert hits[0].confidence >= 0.9


def test_loose_faq_pairs_are_retrievable(kb: KnowledgeBase) -> None:
    hits = kb.search_faqs("户政出入境大厅几点上班，周末开不开门")
    assert hits, "area-level FAQ pairs must be indexed"
    assert hits[0].faq.area.value == "certificates"
    assert "周" in hits[0].faq.q


@pytest.mark.model_scores
def test_faq_confidence_separates_paraphrases_from_near_misses(kb: KnowledgeBase) -> None:
    close = kb.search_faqs("办证件要不要提前预约")
    assert close[0].faq.q == "办证件要提前预约吗？" and close[0].confidence >= 0.6
    far = kb.search_faqs("今天天气怎么样")
    assert not far or far[0].confidence < 0.3


def test_the_dense_signal_is_the_mean_of_passage_and_closest_phrase(
    kb: KnowledgeBase, settings: Settings
) -> None:
    """A question worded like one situation of an item is as close to the item as that phrase
    is, whatever else its passage says: the cosine used is (passage + closest phrase) / 2."""
    item = kb.item("education.primary_school_enrollment")
    embedder = knowledge_paths(settings).embedder()
    assert item is not None and item.situations and embedder is not None
    question = item.situations[0]
    passage = float(embedder.passages([item_passage(item)])[0] @ embedder.query(question))
    combined = kb.cosine_to(question, [item.id])[item.id]
    assert combined == pytest.approx((passage + 1.0) / 2, abs=1e-3)
    assert combined > passage
