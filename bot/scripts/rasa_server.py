"""`rasa run` as we start it: Rasa 3.6's own CLI, with its TensorFlow models loaded for
inference only. Runs under .venv-rasa (Python 3.10); nothing in the main environment imports it.

Why: Rasa's `RasaModel.load` rebuilds each model by compiling it and *training it for one
step* on a dummy example before reading the saved weights, so that a later fine-tuning run
finds the optimizer's slots. A server that only predicts never fine-tunes, yet pays for it:
tracing the training graph with its gradients took 43 of the 50 seconds Rasa needed to load
our model on this 2-core machine and left ~570 MB of graph and optimizer state resident
(py-spy profile and RSS in the closing note of issue 7).

Here a model is built by one prediction instead, and the saved weights are restored into
it; `assert_existing_objects_matched` proves every variable inference uses came from the
file (the optimizer's saved slots are the only part left unread). Any surprise falls back to
Rasa's own loader (counted, see below), and fine-tuning (`rasa train --finetune`) never comes
through here.

Likewise events (in every custom action's result, and those the gateway appends around a
handoff) are validated against Rasa's constant schema with validators built once
(`jsonschema.validate` re-checks the schema itself on every call), each event against the
one event type its name picks.

Two more per-turn costs the profile showed: Rasa runs its graph (parse, then each action
prediction) through dask's general scheduler, ~10% of Rasa's CPU per turn for a handful of
nodes run in order; here the same nodes run depth-first in one plain loop, each once, exactly
as dask would order them. And Rasa opens a new HTTP session, so a new TCP connection, for
every action call; here each endpoint keeps one session (and its kept-alive connections) for
the life of the event loop.

DIET's prediction, measured per thread: half of its TensorFlow time was the CRF's Viterbi
decoding, a Keras RNN and two `tf.scan`s stepping token by token through the executor
(3–5 ms for a 10–20 token question); it runs as one numpy loop inside the same graph here
(`crf_decode_numpy`). Calling the traced prediction function directly skips TensorFlow's
per-call signature matching, and the count-vector features are built straight as the sorted
COO matrices Rasa makes of sklearn's CSR output. And a message is parsed on a thread of its
own rather than on Sanic's event loop, which meanwhile serves the other conversations (the
TensorFlow part of a parse runs outside the GIL), with a 0.5 ms GIL switch interval so that
thread is not held up in 5 ms slices. A text parsed recently is not parsed again: the NLU
output depends on the text alone, and citizens send the same short texts all the time (at 10
citizens this alone raised throughput from 68 to 103 turns/s).

Each replacement is compared with the code it replaces on the same inputs:
tests/rasa_side/check_rasa_server_patches.py (CRF decoding, count vectors, event validators
against `jsonschema.validate`, the graph runner against dask, kept-alive sessions against a
session per call), and
tests/integration/test_rasa_replacements.py parses 127 varied texts with the running server
and with stock Rasa on the same model (same intents, rankings and entities, confidences
within 1e-5), which covers the loader, the direct predict call, the parse thread and cache.

Every replacement reaches into Rasa's and TensorFlow's internals, so the launcher refuses to
start on any rasa, rasa-sdk or tensorflow version other than the ones requirements/rasa.lock
pins. And a replacement that meets what it was not written for hands the work to the stock
code, so the citizen is still served, but not silently: it logs a warning and counts it,
`GET /status` answers the counts (`fallbacks`), and the integration suite fails on any.

Three more replacements were dropped after the A/B tool measured them (sparse features
joined by coordinates, event classes looked up once, `Domain.is_empty` cached): within the
machine's noise, not worth reaching into Rasa for. Each kept one is worth it by the same tool
(the figures are in the README).

Each replacement has a short name (REPLACEMENTS). To measure what one is worth, the A/B tool
(`python -m bot.benchmark.replacements --stock NAME`) starts a second server with
`RASA_STOCK_PATHS=NAME`: the launcher then leaves that replacement out (an unknown name stops
it), says so on stderr, and `GET /status` lists it under `stock_paths`, which the integration
suite requires to be empty.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

logger = logging.getLogger("zhengwu.rasa_server")

LOCK_FILE = Path(__file__).resolve().parents[2] / "requirements" / "rasa.lock"
# The packages whose internals this file replaces or relies on: any other version than the
# locked one may have moved what is replaced here.
CHECKED_PACKAGES = ("rasa", "rasa-sdk", "tensorflow")
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;\\#]+)")


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503: rasa_sdk and rasa-sdk are one


def locked_versions(lock_text: str) -> dict[str, str]:
    """`name==version` pins of a pip requirements file, by normalized name."""
    pins: dict[str, str] = {}
    for line in lock_text.splitlines():
        pin = _PIN.match(line)
        if pin:
            pins[_normalized(pin.group(1))] = pin.group(2)
    return pins


def installed_versions() -> dict[str, str | None]:
    """The installed version of each checked package (None: not installed)."""
    found: dict[str, str | None] = {}
    for name in CHECKED_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def version_mismatches(installed: Mapping[str, str | None], lock_text: str) -> list[str]:
    """One line (in Chinese) per checked package whose installed version is not the locked one."""
    locked = locked_versions(lock_text)
    problems = []
    for name in CHECKED_PACKAGES:
        want, have = locked.get(_normalized(name)), installed.get(name)
        if want is None:
            problems.append(f"{name}：锁定文件中没有它的版本（应写作 {name}==版本号）")
        elif have is None:
            problems.append(f"{name}：未安装（锁定版本 {want}）")
        elif have != want:
            problems.append(f"{name}：已安装 {have}，锁定版本 {want}")
    return problems


def refuse_other_versions(installed: Mapping[str, str | None], lock_file: Path = LOCK_FILE) -> None:
    """Stop, before anything of Rasa is imported, unless the locked versions are installed."""
    try:
        lock_text = lock_file.read_text(encoding="utf-8")
    except OSError as error:
        sys.exit(f"错误：无法读取 {lock_file}（{error}），无法确认 Rasa 的版本，Rasa 服务未启动。")
    problems = version_mismatches(installed, lock_text)
    if problems:
        sys.exit(
            "错误：Rasa 环境的版本与锁定版本不一致，Rasa 服务未启动。\n"
            + "".join(f"  {problem}\n" for problem in problems)
            + "本启动器替换了这些版本的内部函数，换了版本可能算错或崩溃。"
            "请运行 make setup 按 requirements/rasa.lock 重新安装（或先更新锁定文件并重新核对这些替换）。"
        )


# Times a replacement handed the work back to Rasa's own code because it met what it was not
# written for. Production keeps serving; `GET /status` shows these and the tests require 0.
FALLBACK_COUNTS: dict[str, int] = {"inference_loader": 0, "direct_predict": 0}


def fall_back(replacement: str, message: str, *args: object, exc_info: bool = False) -> None:
    FALLBACK_COUNTS[replacement] += 1
    logger.warning("[回退 %s] " + message, replacement, *args, exc_info=exc_info)


def install_inference_loader() -> None:
    import tensorflow as tf
    from rasa.utils.tensorflow import models

    stock_load = models.RasaModel.__dict__["load"].__func__

    def load(
        cls: Any,
        model_file_name: str,
        model_data_example: Any,
        predict_data_example: Any = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if finetune_mode:
            return stock_load(
                cls, model_file_name, model_data_example, predict_data_example, True, *args, **kwargs
            )
        try:
            model = cls(*args, **kwargs)
            config = kwargs.get("config", {})
            model.compile(
                optimizer=tf.keras.optimizers.Adam(config.get("learning_rate", 0.001)),
                run_eagerly=config.get("run_eagerly"),
            )
            status = model.load_weights(model_file_name)
            model.run_inference(predict_data_example or model_data_example)
            status.assert_existing_objects_matched()
            status.expect_partial()  # the optimizer's slots: only training would read them
            return model
        except Exception:  # any surprise: Rasa's own, slower loader
            fall_back(
                "inference_loader",
                "按推理方式加载 %s 失败，改用 Rasa 自带的加载方式",
                cls.__name__,
                exc_info=True,
            )
            return stock_load(
                cls, model_file_name, model_data_example, predict_data_example, False, *args, **kwargs
            )

    models.RasaModel.load = classmethod(load)


def events_checker() -> Any:
    """A fast yes/no for Rasa's EVENTS_SCHEMA. Each event must match exactly one of 23
    alternatives (`oneOf`), and jsonschema tries every one; they differ by the `event`
    constant, so an event is valid exactly when it is valid under the common part plus the
    alternative its name picks. A "no" goes to Rasa's full validation for its error message."""
    from jsonschema.validators import validator_for
    from rasa.shared.utils.schemas.events import EVENTS_SCHEMA

    event_schema = EVENTS_SCHEMA["items"]
    validator_class = validator_for(EVENTS_SCHEMA)
    common = {key: value for key, value in event_schema.items() if key != "oneOf"}
    by_name = {
        alternative["properties"]["event"]["const"]: validator_class({**common, "allOf": [alternative]})
        for alternative in event_schema["oneOf"]
    }

    def plainly_valid(events: Any) -> bool:
        if not isinstance(events, list):
            return False
        for event in events:
            name = event.get("event") if isinstance(event, dict) else None
            check = by_name.get(name) if isinstance(name, str) else None
            if check is None or not check.is_valid(event):
                return False
        return True

    return plainly_valid


def install_event_validators() -> None:
    import rasa.server
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    events_valid = events_checker()
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    outer = validator_class({**schema, "properties": {**schema["properties"], "events": {"type": "array"}}})

    def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        if outer.is_valid(result) and events_valid(result.get("events") or []):
            return True
        error = best_match(validator.iter_errors(result))  # what jsonschema.validate raises
        if error is None:
            return True
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from "
            f"the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    RemoteAction._validate_action_result = validate_action_result

    stock_validate_request = rasa.server.validate_events_in_request_body

    def validate_events_in_request_body(request: Any) -> None:
        body = request.json
        if not events_valid(body if isinstance(body, list) else [body]):
            stock_validate_request(request)  # raises Rasa's 400 with the error

    rasa.server.validate_events_in_request_body = validate_events_in_request_body


def install_sequential_graph_runner() -> None:
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    def run(
        self: Any, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
    ) -> dict[str, Any]:
        nodes = self._graph_schema.nodes
        run_targets = targets or self._graph_schema.target_names
        for target in run_targets:
            if target not in nodes and target not in (inputs or {}):
                raise KeyError(target)  # as dask does for a key it does not have
        done: dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            # dask's check, against the nodes this run needs (rare: only then computed).
            clashes = isinstance(value, str) and value in nodes
            if clashes and value in self._graph_schema.minimal_graph_schema(run_targets).nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are the "
                    f"same as node names in the graph schema."
                )
            done[name] = (name, value)

        def output_of(name: str) -> Any:
            if name not in done:
                if name not in nodes:
                    return name  # unresolved, as dask passes it: the node logs and fails
                needs = [output_of(parent) for parent in nodes[name].needs.values()]
                done[name] = self._instantiated_nodes[name](*needs)
            return done[name]

        try:
            return dict(output_of(target) for target in run_targets)
        except RuntimeError as exc:
            raise GraphRunError("Error running runner.") from exc

    DaskGraphRunner.run = run


def install_kept_alive_sessions() -> None:
    import asyncio

    from rasa.utils.endpoints import EndpointConfig

    stock_session = EndpointConfig.session

    class Borrowed:
        """`async with endpoint.session()` that leaves the shared session open."""

        def __init__(self, session: Any) -> None:
            self._session = session

        async def __aenter__(self) -> Any:
            return self._session

        async def __aexit__(self, *exc_info: object) -> None:
            return None

    def session(self: Any) -> Any:
        loop = asyncio.get_running_loop()
        kept = self.__dict__.get("_kept_session")
        if kept is None or kept[0] is not loop or kept[1].closed:
            kept = (loop, stock_session(self))
            self.__dict__["_kept_session"] = kept
        return Borrowed(kept[1])

    EndpointConfig.session = session


def install_direct_predict_calls() -> None:
    import tensorflow as tf
    from rasa.utils.tensorflow import models

    stock_predict = models.RasaModel._rasa_predict

    def rasa_predict(self: Any, batch_in: Any) -> Any:
        direct = self.__dict__.get("_direct_predict")
        if direct is None:
            outputs = stock_predict(self, batch_in)  # traces `_tf_predict_step` on first use
            step = self._tf_predict_step
            if step is not None and not self._run_eagerly:
                concrete = step.get_concrete_function()
                # numpy dtypes, compared as they are: tf.as_dtype on ~20 arrays a parse cost more.
                dtypes = [t.dtype for t in batch_in]
                self.__dict__["_direct_predict"] = (concrete, dtypes)
            return outputs
        concrete, dtypes = direct
        if len(batch_in) != len(dtypes) or any(
            t.dtype != dtype for t, dtype in zip(batch_in, dtypes, strict=True)
        ):
            # Rasa's call casts what the one traced signature does not take.
            fall_back(
                "direct_predict", "%s 的输入类型与已追踪的签名不同，改用 Rasa 自带的调用", type(self).__name__
            )
            return stock_predict(self, batch_in)
        tensors = [tf.constant(t) for t in batch_in]
        raw = concrete._call_flat(tensors, concrete.captured_inputs)
        outputs = models.tf_utils.sync_to_numpy_or_python_type(raw)
        if models.DIAGNOSTIC_DATA in outputs:
            diagnostic = outputs[models.DIAGNOSTIC_DATA]
            outputs[models.DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(diagnostic)
        return outputs

    models.RasaModel._rasa_predict = rasa_predict


def crf_decode_numpy(potentials: Any, transitions: Any, lengths: Any) -> tuple[Any, Any, Any]:
    """Rasa's `crf_decode` (rasa/utils/tensorflow/crf.py) in numpy, value for value.

    Rasa runs the Viterbi recursion as a Keras RNN and two `tf.scan`s: a dozen graph ops per
    token, each dispatched by TensorFlow's executor, which made the CRF half of DIET's whole
    prediction (3–5 ms for a 10–20 token question). Here it is a plain loop. Positions at or
    past a row's length are left 0 (the CRF layer masks them to 0 anyway). Rasa's backward
    pass over the scores indexes each step with the previous step's *score* cast to int (a
    quirk of its `tf.scan`); that is kept, so the confidences come out as Rasa's do."""
    import numpy as np

    def max_softmax(values: Any, axis: int) -> Any:
        exp = np.exp(values - values.max(axis=axis, keepdims=True))
        return (exp / exp.sum(axis=axis, keepdims=True)).max(axis=axis)

    batch, width = potentials.shape[:2]
    tags = np.zeros((batch, width), dtype=np.int32)
    scores = np.zeros((batch, width), dtype=np.float32)
    best = np.zeros(batch, dtype=np.float32)
    for row in range(batch):
        unary = potentials[row]
        length = min(int(lengths[row]), width) if width > 1 else 1
        state = unary[0]
        pointers, step_scores = [], []
        for position in range(1, length):
            transition_scores = state[:, None] + transitions
            pointers.append(transition_scores.argmax(axis=0))
            step_scores.append(max_softmax(transition_scores, axis=0))
            state = unary[position] + transition_scores.max(axis=0)
        best[row] = state.max()
        if length < 1:
            continue
        tag = int(state.argmax())
        tags[row, length - 1] = tag
        scores[row, length - 1] = max_softmax(state, axis=0)
        score_index = tag
        for position in range(length - 1, 0, -1):
            tag = int(pointers[position - 1][tag])
            tags[row, position - 1] = tag
            score = step_scores[position - 1][score_index]
            scores[row, position - 1] = score
            score_index = int(score)
    return tags, scores, best


def install_numpy_crf_decoding() -> None:
    import tensorflow as tf
    from rasa.utils.tensorflow import crf

    def crf_decode(potentials: Any, transition_params: Any, sequence_length: Any) -> Any:
        lengths = tf.cast(sequence_length, dtype=tf.int32)
        tags, scores, best = tf.numpy_function(
            crf_decode_numpy,
            [potentials, transition_params, lengths],
            [tf.int32, tf.float32, tf.float32],
            stateful=False,
        )
        tags.set_shape(potentials.shape[:2])
        scores.set_shape(potentials.shape[:2])
        best.set_shape(potentials.shape[:1])
        return tags, scores, best

    crf.crf_decode = crf_decode


def install_direct_count_vectors() -> None:
    import numpy as np
    from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
    from scipy.sparse import coo_matrix

    analyzers: dict[int, tuple[Any, Any]] = {}

    def counts(vectorizer: Any, documents: list[str]) -> Any:
        """`vectorizer.transform(documents)` with sorted indices, as COO: the same analyzer,
        vocabulary, counts and order, without sklearn's general CSR assembly and checks."""
        known = analyzers.get(id(vectorizer))
        if known is None or known[0] is not vectorizer:
            known = analyzers[id(vectorizer)] = (vectorizer, vectorizer.build_analyzer())
        analyze, vocabulary = known[1], vectorizer.vocabulary_
        rows: list[int] = []
        columns: list[int] = []
        values: list[int] = []
        for row, document in enumerate(documents):
            found: dict[int, int] = {}
            for feature in analyze(document):
                column = vocabulary.get(feature)
                if column is not None:
                    found[column] = found.get(column, 0) + 1
            for column in sorted(found):
                rows.append(row)
                columns.append(column)
                values.append(1 if vectorizer.binary else found[column])
        return coo_matrix(
            (
                np.asarray(values, dtype=vectorizer.dtype),
                (np.asarray(rows, dtype=np.int32), np.asarray(columns, dtype=np.int32)),
            ),
            shape=(len(documents), len(vocabulary)),
        )

    def create_features(self: Any, attribute: str, all_tokens: list[list[str]]) -> Any:
        vectorizer = self.vectorizers.get(attribute)
        if not vectorizer:
            return [None], [None]
        sequence_features: list[Any] = []
        sentence_features: list[Any] = []
        for tokens in all_tokens:
            if not tokens:
                sequence_features.append(None)
                sentence_features.append(None)
                continue
            sequence_features.append(counts(vectorizer, tokens))
            whole = attribute in DENSE_FEATURIZABLE_ATTRIBUTES
            sentence_features.append(counts(vectorizer, [" ".join(tokens)]) if whole else None)
        return sequence_features, sentence_features

    CountVectorsFeaturizer._create_features = create_features


RECENT_PARSES = 2048
GIL_SWITCH_SECONDS = 0.0005
# Parses served from the text-keyed cache below ("hits") and run through the model ("misses"),
# shown on `/status` so `make bench` can say how much of its load the cache absorbed.
PARSE_CACHE_COUNTS: dict[str, int] = {"hits": 0, "misses": 0}


def install_parsing(thread: bool = True, cache: bool = True) -> None:
    """`parse_message` on a thread of its own (`thread`) and/or through a text-keyed cache
    of recent parses (`cache`); two replacements, each measured on its own by the A/B tool."""
    import asyncio
    import copy
    from collections import OrderedDict
    from concurrent.futures import ThreadPoolExecutor

    from rasa.core import processor
    from rasa.core.processor import MessageProcessor

    stock_parse = MessageProcessor.parse_message
    # One thread: messages are still parsed one at a time, as on the event loop before.
    parser = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nlu") if thread else None
    # What the model made of recent texts, by model and text. Citizens send the same short
    # texts all the time (你好, 谢谢, 人工, 要多少钱): the NLU output depends on the text alone
    # (no component of the pipeline reads the tracker or the metadata), so the same text is
    # not parsed twice; only the message's id and metadata are its own. Only touched on the
    # event loop, so no lock.
    recent: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()

    async def parsed_by_graph(self: Any, message: Any, tracker: Any) -> dict[str, Any]:
        if parser is None:
            return dict(self._parse_message_with_graph(message, tracker, True))
        return dict(
            await asyncio.get_running_loop().run_in_executor(
                parser, self._parse_message_with_graph, message, tracker, True
            )
        )

    async def parse_message(
        self: Any, message: Any, tracker: Any = None, only_output_properties: bool = True
    ) -> Any:
        if self.http_interpreter or tracker is None or not only_output_properties:
            return await stock_parse(self, message, tracker, only_output_properties)
        if not cache:
            parse_data = await parsed_by_graph(self, message, tracker)
        else:
            key = (self.model_metadata.model_id, message.text)
            cached = recent.get(key)
            PARSE_CACHE_COUNTS["misses" if cached is None else "hits"] += 1
            if cached is None:
                parsed = await parsed_by_graph(self, message, tracker)
                recent[key] = parsed
                if len(recent) > RECENT_PARSES:
                    recent.popitem(last=False)
            else:
                parsed = cached
                recent.move_to_end(key)
            parse_data = copy.deepcopy(parsed)  # the processor and the events change theirs
            for own, value in (("message_id", message.message_id), ("metadata", message.metadata)):
                # This message's own, as the graph would have set them (None values are left out).
                if value is None:
                    parse_data.pop(own, None)
                else:
                    parse_data[own] = copy.deepcopy(value)
        self._update_full_retrieval_intent(parse_data)
        processor.structlogger.debug(
            "processor.message.parse",
            parse_data_text=copy.deepcopy(parse_data["text"]),
            parse_data_intent=parse_data["intent"],
            parse_data_entities=copy.deepcopy(parse_data["entities"]),
        )
        self._check_for_unseen_features(parse_data)
        return parse_data

    MessageProcessor.parse_message = parse_message


def freeze_after_model_load(*_listener_args: Any) -> None:
    """Rasa's model (TensorFlow, the featurizers' vocabularies: millions of objects) stays
    loaded for the server's life; after `gc.freeze()` the collector's full collections no longer
    walk it. Before, one took 350 ms under 10 citizens, and every turn in flight waited. As in
    the gateway and the action server (bot/startup_gc.py, not importable from Rasa's
    environment)."""
    gc.collect()
    gc.freeze()


def install_server_additions() -> None:
    """Two additions to Rasa's app, neither a replacement of Rasa's code:
    - `GET /status` also answers `parse_cache`: {"hits", "misses"} since the server started,
      `fallbacks`: how often each replacement handed its work to Rasa's own code, and
      `stock_paths`: the replacements left out by `RASA_STOCK_PATHS` (empty in production);
    - once the model is loaded (Rasa loads it before the server starts), what start-up
      allocated is frozen (`freeze_after_model_load`)."""
    from rasa import server
    from sanic import response

    stock_create_app = server.create_app

    def create_app(*args: Any, **kwargs: Any) -> Any:
        app = stock_create_app(*args, **kwargs)

        async def add_counts(request: Any, reply: Any) -> Any:
            if request.path == "/status" and reply.status == 200:
                counts = {
                    "parse_cache": dict(PARSE_CACHE_COUNTS),
                    "fallbacks": dict(FALLBACK_COUNTS),
                    "stock_paths": list(STOCK_PATHS),
                }
                return response.json({**json.loads(reply.body), **counts})
            return None

        app.register_middleware(add_counts, "response")
        app.register_listener(freeze_after_model_load, "after_server_start")
        return app

    server.create_app = create_app


# Each replacement by a short stable name, in the order they are installed. `RASA_STOCK_PATHS`
# (comma-separated names) leaves the named ones out, so that the A/B tool
# (`python -m bot.benchmark.replacements`) can measure what each is worth against Rasa's own code.
REPLACEMENTS: dict[str, Callable[[], None] | None] = {
    "inference_loader": install_inference_loader,
    "numpy_crf": install_numpy_crf_decoding,
    "direct_predict": install_direct_predict_calls,
    "count_vectors": install_direct_count_vectors,
    "event_validators": install_event_validators,
    "graph_runner": install_sequential_graph_runner,
    "kept_alive_sessions": install_kept_alive_sessions,
    # These two are one `parse_message` with two switches: install_parsing, after the rest.
    "parse_thread": None,
    "parse_cache": None,
}
STOCK_PATHS_VARIABLE = "RASA_STOCK_PATHS"
# The replacements this server runs without (from RASA_STOCK_PATHS), shown on `/status`.
STOCK_PATHS: list[str] = []


def stock_paths(value: str | None) -> list[str]:
    """The replacement names in `RASA_STOCK_PATHS`, in REPLACEMENTS' order; stops the
    launcher on a name it does not know, so a typo cannot measure the wrong thing."""
    names = [name.strip() for name in (value or "").split(",") if name.strip()]
    unknown = [name for name in names if name not in REPLACEMENTS]
    if unknown:
        sys.exit(
            f"错误：{STOCK_PATHS_VARIABLE} 中有未知的替换名：{'、'.join(unknown)}，Rasa 服务未启动。\n"
            f"可用的名称：{', '.join(REPLACEMENTS)}"
        )
    return [name for name in REPLACEMENTS if name in names]


def install_replacements(left_out: list[str]) -> None:
    """Every replacement except those `left_out` (said loudly: such a server is for
    measuring only, and the integration suite fails on it through `/status`)."""
    STOCK_PATHS[:] = left_out
    if left_out:
        message = (
            f"警告：{STOCK_PATHS_VARIABLE} 让以下替换不安装、改走 Rasa 原生代码（仅供 A/B 测量，"
            f"不可用于生产）：{', '.join(left_out)}"
        )
        print(message, file=sys.stderr, flush=True)
        logger.warning(message)
    for name, install in REPLACEMENTS.items():
        if install is not None and name not in left_out:
            install()
    thread, cache = "parse_thread" not in left_out, "parse_cache" not in left_out
    if thread or cache:
        install_parsing(thread=thread, cache=cache)


def main() -> None:
    refuse_other_versions(installed_versions())
    left_out = stock_paths(os.environ.get(STOCK_PATHS_VARIABLE))
    # TensorFlow's TFLite converter imports JAX when it is installed (Rasa's TensorFlow pulls
    # it in) only to convert JAX models: 0.5 s of start-up and ~60 MB resident for nothing.
    sys.modules["jax"] = None  # type: ignore[assignment]
    install_replacements(left_out)
    install_server_additions()
    # Rasa loads our tracker store by its module path and, should that fail, falls back to
    # its in-memory store with only a warning: conversations would be lost on a restart.
    # Imported here, a missing or broken module stops Rasa instead.
    import kept_tracker_store  # noqa: F401

    # The parse thread needs the GIL for its Python half (tokenizer, featurizers) while the
    # event loop runs every other conversation's turn; with Python's default 5 ms switch
    # interval a parse waited for the GIL in 5 ms slices. A/B, both systems up, 1,397 turns
    # at 10 citizens: p95 235 → 181 ms and p99 365 → 259 ms at 0.5 ms, same CPU per turn
    # (setting it in the gateway and action server as well helped nothing). Part of the
    # parse_thread replacement: without that thread it has nothing to help.
    if "parse_thread" not in left_out:
        sys.setswitchinterval(GIL_SWITCH_SECONDS)
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
