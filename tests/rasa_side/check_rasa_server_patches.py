"""Run under .venv-rasa (tests/unit/bot/scripts/test_rasa_server_patches.py starts it): each of our
replacements in bot/scripts/rasa_server.py against the Rasa or sklearn code it replaces, on
random and real-looking inputs. Prints one JSON line of findings; exits non-zero on a mismatch."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bot" / "scripts"))

import rasa_server


def check_crf(trials: int = 400) -> dict[str, float | int]:
    import tensorflow as tf
    from rasa.utils.tensorflow.layers import CRF

    rng = np.random.default_rng(2026)
    near_one = 0
    worst = 0.0
    for _ in range(trials):
        batch, width, tags = int(rng.integers(1, 4)), int(rng.integers(1, 25)), int(rng.integers(2, 12))
        scale = float(rng.choice([0.5, 3.0, 8.0]))
        potentials = (rng.normal(size=(batch, width, tags)) * scale).astype(np.float32)
        transitions = (rng.normal(size=(tags, tags)) * scale).astype(np.float32)
        lengths = rng.integers(0 if width > 1 else 1, width + 1, size=batch)
        lengths[0] = width
        layer = CRF(tags, 0.001, True)
        layer.build(None)
        layer.transition_params.assign(transitions)
        decoded = layer(tf.constant(potentials), tf.constant(lengths))
        expected_ids, expected_confidence = (t.numpy() for t in decoded)
        ids, confidence, _ = rasa_server.crf_decode_numpy(potentials, transitions, lengths.astype(np.int32))
        mask = np.arange(width)[None, :] < lengths[:, None]
        if not (ids * mask == expected_ids).all():
            raise AssertionError(f"CRF tags differ: {ids * mask} != {expected_ids}")
        difference = float(np.abs(confidence * mask - expected_confidence).max())
        # Rasa indexes later steps with the previous confidence cast to int: where TensorFlow
        # rounds a confidence to 1.0 and numpy to 0.99999994 (or back), the index differs.
        if difference > 1e-6 and not np.isclose(expected_confidence, 1.0, atol=1e-6).any():
            raise AssertionError(f"CRF confidence differs by {difference}")
        near_one += difference > 1e-6
        worst = max(worst, difference if difference <= 1e-6 else 0.0)
    return {"crf_trials": trials, "crf_max_confidence_difference": worst, "crf_rounding_cases": near_one}


def check_count_vectors() -> dict[str, int]:
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
    from sklearn.feature_extraction.text import CountVectorizer

    corpus = ["补办 身份证 要 多少 钱", "居住证 在 哪里 办", "新生儿 医保 怎么 办理", "你好", "谢谢 你"]
    stock = CountVectorsFeaturizer._create_features
    rasa_server.install_direct_count_vectors()
    ours = CountVectorsFeaturizer._create_features
    checked = 0
    word = {"token_pattern": r"(?u)\b\w+\b"}
    for options in (word, {"analyzer": "char_wb", "ngram_range": (1, 3)}, {**word, "binary": True}):
        featurizer = CountVectorsFeaturizer.__new__(CountVectorsFeaturizer)
        featurizer.vectorizers = {"text": CountVectorizer(**options).fit(corpus)}
        for tokens in (["补办", "身份证", "身份证", "要", "多少钱"], ["未见过"], [], ["你好", "谢谢"]):
            for attribute in ("text", "intent"):
                expected, got = stock(featurizer, attribute, [tokens]), ours(featurizer, attribute, [tokens])
                for left, right in zip([*expected[0], *expected[1]], [*got[0], *got[1]], strict=True):
                    if (left is None) != (right is None):
                        raise AssertionError(f"presence differs for {tokens} {attribute}")
                    if left is None:
                        continue
                    if (
                        left.shape != right.shape
                        or left.dtype != right.dtype
                        or not np.array_equal(left.row, right.row)
                        or not np.array_equal(left.col, right.col)
                        or not np.array_equal(left.data, right.data)
                    ):
                        raise AssertionError(f"count features differ for {tokens} {options}")
                    checked += 1
    return {"count_vector_matrices": checked}


if __name__ == "__main__":
    print(json.dumps({**check_crf(), **check_count_vectors()}))
