"""Keep what a server loaded at start-up out of the garbage collector's full collections.

A server loads most of its objects once (the knowledge base, jieba's dictionary, the
models) and keeps them for its life. CPython's full collection walks every tracked object
all the same: measured under 10 citizens, one took 350 ms in Rasa and ~200 ms in the action
server and the gateway, and every conversation that process was serving waited for it. A
`make bench` round lasts a few seconds, so one such pause cost a round about a tenth of its
throughput. `gc.freeze()` (Python's own remedy, meant for long-lived servers) moves what
exists now to a generation the collector no longer visits; what is allocated later, and any
cycle among it, is collected as before.
"""

from __future__ import annotations

import gc
import logging

logger = logging.getLogger(__name__)


def freeze_startup_objects() -> None:
    """Call once the server has loaded what it keeps for its life."""
    gc.collect()  # what start-up left as garbage is freed, not frozen
    gc.freeze()
    logger.debug("启动时加载的 %d 个对象不再参与完整回收", gc.get_freeze_count())
