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
Rasa's own loader, and fine-tuning (`rasa train --finetune`) never comes through here.

Likewise events (in every custom action's result, and those the gateway appends around a
handoff) are validated against Rasa's constant schema with validators built once
(`jsonschema.validate` re-checks the schema itself on every call), each event against the
one event type its name picks.

Two more per-turn costs the profile showed: Rasa runs its graph (parse, then each action
prediction) through dask's general scheduler, ~10% of Rasa's CPU per turn for a handful of
nodes run in order; here the same nodes run depth-first in one plain loop, each once, exactly
as dask would order them. And Rasa opens a new HTTP session, so a new TCP connection, for
every action call; here each endpoint keeps one session (and its kept-alive connections) for
the life of the event loop. Each message's sparse features (one matrix per featurizer) are
joined with `scipy.sparse.hstack`, whose general block assembly took 150 µs per join, five
joins a message; two COO matrices are joined here by concatenating their coordinates (40 µs).
The in-memory tracker store rebuilds every event of a conversation on each turn, and finding
each event's class walked the whole Event class tree again (4% of Rasa's CPU); it is looked
up once per event name here.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

logger = logging.getLogger("zhengwu.rasa_server")


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
            logger.warning("按推理方式加载 %s 失败，改用 Rasa 自带的加载方式", cls.__name__, exc_info=True)
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
        done: dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in nodes:
                raise GraphRunError(f"Input value '{value}' clashes with a node name.")
            done[name] = (name, value)

        def output_of(name: str) -> Any:
            if name not in done:
                if name not in nodes:
                    return name  # unresolved, as dask passes it: the node logs and fails
                needs = [output_of(parent) for parent in nodes[name].needs.values()]
                done[name] = self._instantiated_nodes[name](*needs)
            return done[name]

        try:
            return dict(output_of(target) for target in targets or self._graph_schema.target_names)
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


def install_fast_sparse_concatenation() -> None:
    import numpy as np
    from rasa.shared.nlu.training_data.features import Features
    from scipy.sparse import coo_matrix

    stock_combine = Features._combine_sparse_features

    def combine(self: Any, additional: Any) -> None:
        left, right = self.features, additional.features
        if type(left) is not coo_matrix or type(right) is not coo_matrix or left.shape[0] != right.shape[0]:
            stock_combine(self, additional)  # other formats, and the error for a mismatch
            return
        self.features = coo_matrix(
            (
                np.concatenate([left.data, right.data]),
                (
                    np.concatenate([left.row, right.row]),
                    np.concatenate([left.col, right.col + left.shape[1]]),
                ),
            ),
            shape=(left.shape[0], left.shape[1] + right.shape[1]),
        )
        self._cached_fingerprint = None

    Features._combine_sparse_features = combine


def install_event_type_lookup() -> None:
    from rasa.shared.core.events import Event

    stock_resolve = Event.resolve_by_type
    known: dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        if type_name in known:
            return known[type_name]
        found = stock_resolve(type_name, default)
        if found is not None and found is not default:
            known[type_name] = found
        return found

    Event.resolve_by_type = staticmethod(resolve_by_type)


def main() -> None:
    install_inference_loader()
    install_event_validators()
    install_sequential_graph_runner()
    install_kept_alive_sessions()
    install_fast_sparse_concatenation()
    install_event_type_lookup()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
