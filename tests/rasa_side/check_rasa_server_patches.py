"""Run under .venv-rasa (tests/unit/bot/scripts/test_rasa_server_patches.py starts it): each of our
replacements in bot/scripts/rasa_server.py against the Rasa, jsonschema, dask or sklearn code it
replaces, on random and real-looking inputs. Prints one JSON line of findings; exits non-zero on
a mismatch. (The whole parse, model loading included, is compared with stock Rasa on our
trained model in tests/integration/test_rasa_replacements.py.)"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

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


def real_looking_events() -> list[dict[str, Any]]:
    """Events as Rasa writes them and as our actions (rasa-sdk) and the gateway send them."""
    from rasa.shared.core import events

    parse_data = {
        "text": "补办身份证要多少钱",
        "intent": {"name": "ask_fee", "confidence": 0.97},
        "intent_ranking": [
            {"name": "ask_fee", "confidence": 0.97},
            {"name": "ask_materials", "confidence": 0.02},
        ],
        "entities": [
            {"entity": "item", "value": "居民身份证补领", "start": 2, "end": 5, "confidence": 0.99},
            {"entity": "area", "value": "certificates", "extractor": None, "role": None, "group": None},
        ],
        "response_selector": {"all_retrieval_intents": []},
    }
    made = [
        events.UserUttered("补办身份证要多少钱", parse_data["intent"], parse_data["entities"], parse_data),
        events.BotUttered("【居民身份证补领】收费标准：……", {"custom": {"type": "answer", "item_id": "x"}}),
        events.SlotSet("current_item", "certificates.id_card_reissue"),
        events.SlotSet("candidates", ["a", "b"]),
        events.ActionExecuted("action_answer", policy="RulePolicy", confidence=1.0),
        events.ActionExecuted("action_listen"),
        events.SessionStarted(),
        events.Restarted(),
        events.FollowupAction("action_handoff"),
        events.ActiveLoop(None),
        events.ConversationPaused(),
        events.ConversationResumed(),
        events.AllSlotsReset(),
        events.UserUtteranceReverted(),
        events.ActionReverted(),
        events.ReminderCancelled(name="r"),
        events.EntitiesAdded([{"entity": "item", "value": "v"}]),
        events.LoopInterrupted(True),
        events.ActionExecutionRejected("action_x"),
        events.AgentUttered("人工客服：您好"),
        events.StoryExported(),
    ]
    sdk_style = [
        {"event": "slot", "timestamp": None, "name": "area", "value": "education"},
        {
            "event": "bot",
            "timestamp": None,
            "text": "请问您想咨询哪一项业务？",
            "data": {"buttons": []},
            "metadata": {},
        },
        {"event": "followup", "timestamp": None, "name": "action_listen"},
        {"event": "pause"},
        {
            "event": "action",
            "name": "action_handoff",
            "policy": None,
            "confidence": None,
            "hide_rule_turn": False,
        },
        {
            "event": "user",
            "text": None,
            "parse_data": {"response_selector": {"faq": {"response": {}, "ranking": []}}},
        },
    ]
    return [event.as_dict() for event in made] + sdk_style


ODD_VALUES: list[Any] = [None, 1, 1.5, True, "x", "", [], {}, [1], {"a": 1}, -3]


def mutated(event: Any, rng: np.random.Generator, names: list[str]) -> Any:
    """One random change, valid or not: a key dropped, a value of another type, another or an
    unknown event name, a key added, nested parse data broken, or no event object at all."""
    if not isinstance(event, dict):
        return event
    event = copy.deepcopy(event)
    kind = int(rng.integers(0, 7))
    keys = sorted(event)
    if kind == 0 and keys:
        event.pop(keys[int(rng.integers(0, len(keys)))])
    elif kind == 1 and keys:
        event[keys[int(rng.integers(0, len(keys)))]] = ODD_VALUES[int(rng.integers(0, len(ODD_VALUES)))]
    elif kind == 2:
        event["event"] = names[int(rng.integers(0, len(names)))] if rng.random() < 0.7 else "no_such_event"
    elif kind == 3:
        event[str(rng.choice(["extra", "timestamp", "metadata", "text", "name"]))] = ODD_VALUES[
            int(rng.integers(0, len(ODD_VALUES)))
        ]
    elif kind == 4 and isinstance(event.get("parse_data"), dict):
        parse = event["parse_data"]
        part = str(rng.choice(["intent", "entities", "intent_ranking", "response_selector", "text"]))
        parse[part] = (
            ODD_VALUES[int(rng.integers(0, len(ODD_VALUES)))] if rng.random() < 0.5 else [{"entity": 1}]
        )
    elif kind == 5:
        return ODD_VALUES[int(rng.integers(0, len(ODD_VALUES)))]
    return event


def outcome(call: Callable[[], Any]) -> tuple[str, str]:
    """What a validator did: accepted, or the type and message of what it raised."""
    try:
        call()
    except Exception as error:  # compared, not handled
        detail = getattr(error, "message", None) or str(error)
        return type(error).__name__, f"{getattr(error, 'status', '')} {detail}"
    return "accepted", ""


class FakeRequest:
    def __init__(self, body: Any) -> None:
        self.json = body


def check_event_validators(lists: int = 700) -> dict[str, int]:
    """Our validators (built once, each event against the type its name picks) against
    `jsonschema.validate` as Rasa calls it: same accept/reject on every event list, valid and
    not, and where Rasa rejects, the same exception with the same message."""
    import jsonschema
    import rasa.server
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.utils.schemas.events import EVENTS_SCHEMA

    stock_result = RemoteAction._validate_action_result
    stock_request = rasa.server.validate_events_in_request_body
    rasa_server.install_event_validators()
    our_result = RemoteAction._validate_action_result
    our_request = rasa.server.validate_events_in_request_body
    plainly_valid = rasa_server.events_checker()
    try:
        rng = np.random.default_rng(20)
        pool = real_looking_events()
        names = sorted({event["event"] for event in pool} | {"user_featurization", "form", "form_validation"})
        cases: list[Any] = [[], [pool[0]], pool, "not a list", None, [None], [{}], [{"event": 3}]]
        for _ in range(lists):
            size = int(rng.integers(1, 7))
            chosen = [pool[int(rng.integers(0, len(pool)))] for _ in range(size)]
            if rng.random() < 0.6:
                index = int(rng.integers(0, size))
                chosen[index] = mutated(chosen[index], rng, names)
            cases.append(chosen)
        accepted = rejected = 0
        action = RemoteAction.__new__(RemoteAction)
        for events in cases:
            schema_valid = jsonschema.Draft7Validator(EVENTS_SCHEMA).is_valid(events)
            if plainly_valid(events) != schema_valid:
                raise AssertionError(f"events checker says {not schema_valid} for {events!r}")
            results: list[Any] = [{"events": events, "responses": []}]
            if isinstance(events, list) and len(events) == 1:
                results.append({"events": events, "responses": [{"text": "x"}, "not an object"]})
            for result in results:
                expected = outcome(partial(stock_result, action, copy.deepcopy(result)))
                got = outcome(partial(our_result, action, copy.deepcopy(result)))
                if expected != got:
                    raise AssertionError(f"action result {result!r}: Rasa {expected}, ours {got}")
                accepted += expected[0] == "accepted"
                rejected += expected[0] != "accepted"
            bodies = [events, events[0]] if isinstance(events, list) and events else [events]
            for body in bodies:
                expected = outcome(partial(stock_request, FakeRequest(copy.deepcopy(body))))
                got = outcome(partial(our_request, FakeRequest(copy.deepcopy(body))))
                if expected != got:
                    raise AssertionError(f"request body {body!r}: Rasa {expected}, ours {got}")
                accepted += expected[0] == "accepted"
                rejected += expected[0] != "accepted"
    finally:
        RemoteAction._validate_action_result = stock_result
        rasa.server.validate_events_in_request_body = stock_request
    return {"event_lists": len(cases), "events_accepted": accepted, "events_rejected": rejected}


CALLS: list[str] = []  # the graph nodes run, by name


def run_once(run: Any, runner: Any, inputs: dict[str, Any], targets: list[str] | None) -> Any:
    """One graph run: its result (or the type and message of its error), and the nodes it ran."""
    CALLS.clear()
    try:
        result: Any = run(runner, inputs, targets)
    except Exception as error:  # compared, not handled
        result = (type(error).__name__, str(error))
    return result, sorted(CALLS)


def check_graph_runner() -> dict[str, int]:
    """Our plain depth-first runner against dask's on the same graphs: a diamond, several
    targets, inputs, a need nothing provides, a clashing input, a failing node. Same results
    (or the same error), and every node run once per run, as with dask."""
    from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    class Step(GraphComponent):  # type: ignore[misc]  # Rasa is untyped here
        @classmethod
        def create(
            cls, config: dict[str, Any], model_storage: Any, resource: Any, execution_context: Any
        ) -> Step:
            return cls(config, execution_context.node_name)

        def __init__(self, config: dict[str, Any], name: str) -> None:
            self.add, self.name = config["add"], name

        def run(self, **parents: Any) -> Any:
            CALLS.append(self.name)
            if self.add == "fail":
                raise RuntimeError("node failed")
            return [self.name, self.add, sorted(parents.items(), key=lambda item: item[0])]

    def node(needs: dict[str, str], add: Any, target: bool = False, eager: bool = True) -> SchemaNode:
        return SchemaNode(needs, Step, "create", "run", {"add": add}, eager=eager, is_target=target)

    schema = GraphSchema(
        {
            "a": node({"message": "__message__"}, 1),
            "b": node({"a": "a"}, 2, eager=False),
            "c": node({"a": "a", "m": "__message__"}, 3),
            "d": node({"b": "b", "c": "c"}, 4, target=True),
            "e": node({"d": "d"}, 5, target=True),
            "lone": node({}, 6),
            "needs_missing": node({"x": "__absent__"}, 7),
            "fails": node({"a": "a"}, "fail"),
        }
    )
    stock_run = DaskGraphRunner.run
    runs: list[tuple[dict[str, Any], list[str] | None]] = [
        ({"__message__": "补办身份证"}, None),
        ({"__message__": "你好"}, ["d"]),
        ({"__message__": ["x"]}, ["e", "c", "lone"]),
        ({"__message__": "x", "__unused__": 1}, ["a"]),
        ({}, ["lone"]),
        ({"__message__": "x"}, ["needs_missing"]),
        ({"__message__": "a"}, ["d"]),  # an input value that names a node
        ({"__message__": "lone"}, ["d"]),  # … one this run does not need
        ({"__message__": "x"}, ["fails"]),
        ({"__message__": "x"}, ["no_such_node"]),
        ({"__message__": "x"}, ["__message__"]),  # an input is no target
    ]
    compared = 0
    with tempfile.TemporaryDirectory() as folder:
        storage = LocalModelStorage(Path(folder))
        context = ExecutionContext(schema, "model")
        runner = DaskGraphRunner(schema, storage, context)
        rasa_server.install_sequential_graph_runner()
        ours = DaskGraphRunner.run
        DaskGraphRunner.run = stock_run
        try:
            for inputs, targets in runs:
                expected, got = (run_once(run, runner, inputs, targets) for run in (stock_run, ours))
                if expected != got:
                    raise AssertionError(f"graph run {inputs} {targets}: dask {expected}, ours {got}")
                compared += 1
        finally:
            DaskGraphRunner.run = stock_run
    return {"graph_runs": compared}


async def endpoint_calls(calls: int) -> dict[str, Any]:
    """The same action-server calls through Rasa's `EndpointConfig.request`, first with Rasa's
    session per call, then with our kept session, to a local server that answers JSON, a 400
    and an empty body: what each call returns or raises, and how many connections each side
    opened."""
    from aiohttp import web
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig

    connections: dict[str, set[Any]] = {"stock": set(), "ours": set()}
    side = ["stock"]

    async def webhook(request: web.Request) -> web.Response:
        connections[side[0]].add(request.transport.get_extra_info("peername") if request.transport else None)
        body = await request.json()
        if body["n"] % 5 == 4:
            return web.json_response({"error": "动作出错"}, status=400)
        if body["n"] % 7 == 6:
            return web.Response(status=204)
        return web.json_response({"echo": body, "events": [], "responses": [{"text": "好的"}]})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    stock_session = EndpointConfig.session
    outcomes: dict[str, list[Any]] = {}
    try:
        for name in ("stock", "ours"):
            side[0] = name
            if name == "ours":
                rasa_server.install_kept_alive_sessions()
            endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
            got: list[Any] = []
            for n in range(calls):
                try:
                    got.append(["ok", await endpoint.request(json={"n": n, "text": "补办身份证"})])
                except ClientResponseError as error:
                    got.append(["error", error.status, error.message, str(error.text)])
            outcomes[name] = got
            kept = endpoint.__dict__.get("_kept_session")
            if kept is not None:
                await kept[1].close()
    finally:
        EndpointConfig.session = stock_session
        await runner.cleanup()
    return {"outcomes": outcomes, "connections": {name: len(seen) for name, seen in connections.items()}}


def check_kept_alive_sessions(calls: int = 20) -> dict[str, int]:
    """Our kept session against Rasa's session per call: the same answers and errors for the
    same requests, over one connection instead of one per call."""
    import asyncio

    found = asyncio.run(endpoint_calls(calls))
    stock, ours = found["outcomes"]["stock"], found["outcomes"]["ours"]
    if stock != ours:
        raise AssertionError(f"endpoint calls differ: Rasa {stock}, ours {ours}")
    return {
        "session_calls": len(ours),
        "session_errors": sum(outcome[0] == "error" for outcome in ours),
        "stock_connections": found["connections"]["stock"],
        "kept_connections": found["connections"]["ours"],
    }


if __name__ == "__main__":
    findings = {
        **check_crf(),
        **check_count_vectors(),
        **check_event_validators(),
        **check_graph_runner(),
        **check_kept_alive_sessions(),
    }
    print(json.dumps(findings))
