"""W&B Launch queues in the stand-in: what ``launch_add(queue_name=...)`` and a ``QueuedRun``'s waits send.

Served operations (wandb 0.31):

- ``pushToRunQueueByName``: enqueues the run spec into a queue the test created; an unknown queue answers
  an error, after which the SDK asks ``ProjectRunQueues`` (the legacy path), finds nothing and raises
  ``LaunchError("Error adding run to queue")``, as against the real server;
- ``GetRunQueueItem`` (by id, or the legacy list of all items): ``QueuedRun.state`` and
  ``wait_until_running`` poll it until the item has an ``associatedRunId``;
- ``Run`` and ``RunState``: the run is loaded once it exists, then its state is polled (``run_launch_job``
  reloads it with ``Run``; wandb's own ``wait_until_finished`` asks ``RunState``) until it is final.

Nobody pops the items: the test plays the Launch agent, through ``launch_queues(server.state)``::

    queues = launch_queues(server.state)
    queues.add_queue("gpu")                             # queues live in <entity>/model-registry
    job = queues.add_job("proj", "train")               # launch_add checks that the job artifact exists
    queues.outcome = Outcome(run_state="failed")        # the agent's answer to every item pushed...
    queues.finish_item(item_id, run_state="crashed")    # ...or to one item (queues.fail_item: no run)
    [item] = queues.items.values()                      # queue, spec and state as pushed

The SDK sleeps 2 s before each poll of ``wait_until_running``, so a test gives the item its final run state
before the op waits for it (``Outcome`` does).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .state import Artifact, State, gid

# wandb's LAUNCH_DEFAULT_PROJECT: launch_add puts items there unless given a project_queue.
QUEUE_PROJECT = "model-registry"
RUN_STATES = ("finished", "failed", "crashed", "killed", "preempted")  # the final states a W&B run reports


@dataclass(frozen=True)
class Outcome:
    """What the pretend agent does with each pushed item once it has been polled ``after_polls`` times:
    claims it and reports its run in ``run_state``, or, with ``item_failed``, fails the item (no run)."""

    run_state: str = "finished"
    item_failed: bool = False
    after_polls: int = 1


@dataclass
class QueueItem:
    id: str
    entity: str
    project_queue: str
    queue: str
    spec: dict[str, Any]  # the launch spec as pushed: job, entity, project, overrides, resource_args, ...
    template_variables: dict[str, Any] | None
    priority: int | None
    state: str = "PENDING"  # PENDING, CLAIMED or FAILED, spelled as the real server does
    run_id: str | None = None  # the associatedRunId, once the agent has started a run
    polls: int = 0


@dataclass
class LaunchQueues:
    """Queues, their items and the final states of the runs launched from them: the test-facing side."""

    state: State = field(repr=False)
    queues: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (entity, project, name) -> id
    items: dict[str, QueueItem] = field(default_factory=dict)
    run_states: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (entity, project, run id)
    outcome: Outcome | None = None  # None: items stay PENDING until finish_item / fail_item

    @property
    def lock(self) -> threading.RLock:
        return self.state.lock

    def add_queue(self, name: str, entity: str | None = None, project: str = QUEUE_PROJECT) -> str:
        with self.lock:
            return self.queues.setdefault((entity or self.state.entity, project, name), self.state.next_id("RunQueue"))

    def add_job(self, project: str, name: str, entity: str | None = None) -> str:
        """A committed artifact of type ``job`` (launch_add fetches it); returns ``entity/project/name:latest``."""
        entity = entity or self.state.entity
        with self.lock:
            sequence = self.state.collection(entity, project, name, "ArtifactSequence", "job")
            assert sequence is not None
            artifact = Artifact(
                id=self.state.next_id("Artifact"),
                entity=entity,
                project=project,
                collection=name,
                type="job",
                digest=gid("JobDigest", f"{entity}/{project}/{name}"),
                description=None,
                metadata=None,
                requested_aliases=[],
                run=None,
                state="COMMITTED",
            )
            self.state.artifacts[artifact.id] = artifact
            artifact.index = sequence.add(artifact.id, [])
        return f"{entity}/{project}/{name}:latest"

    def finish_item(self, item_id: str, run_state: str = "finished", run_id: str | None = None) -> str:
        """The agent claims the item and starts a run that ends in ``run_state``; returns the run id
        (default: the spec's ``run_id``, else a new one)."""
        if run_state not in RUN_STATES:
            raise ValueError(f"run_state {run_state!r} is not a final run state; use one of {RUN_STATES}")
        with self.lock:
            item = self._item(item_id)
            item.run_id = run_id or item.spec.get("run_id") or f"launched-{len(self.run_states) + 1}"
            item.state = "CLAIMED"
            run = self.state.run(item.spec.get("entity") or item.entity, item.spec.get("project"), item.run_id)
            self.run_states[(run.entity, run.project, run.name)] = run_state
            return item.run_id

    def fail_item(self, item_id: str) -> None:
        """The agent could not start the item (its failRunQueueItem): FAILED, and no run ever appears."""
        with self.lock:
            self._item(item_id).state = "FAILED"

    def _item(self, item_id: str) -> QueueItem:
        if item_id not in self.items:
            raise KeyError(f"no queue item {item_id!r}; pushed so far: {sorted(self.items)}")
        return self.items[item_id]

    def _polled(self, item: QueueItem) -> None:
        item.polls += 1
        if self.outcome is not None and item.state == "PENDING" and item.polls >= self.outcome.after_polls:
            if self.outcome.item_failed:
                self.fail_item(item.id)
            else:
                self.finish_item(item.id, self.outcome.run_state)


def launch_queues(state: State) -> LaunchQueues:
    """The Launch side of ``state`` (``state.launch``), made on first use."""
    with state.lock:
        if state.launch is None:
            state.launch = LaunchQueues(state)
        queues: LaunchQueues = state.launch
        return queues


# ---------------------------------------------------------------------- handlers
def push_to_run_queue_by_name(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    queues = launch_queues(state)
    key = (v["entityName"], v["projectName"], v["queueName"])
    if key not in queues.queues:
        # The SDK swallows this error and falls back to ProjectRunQueues, which does not list the queue either.
        raise LookupError(f"no run queue {'/'.join(key)}; create it with launch_queues(state).add_queue(...)")
    item = QueueItem(
        id=state.next_id("RunQueueItem"),
        entity=key[0],
        project_queue=key[1],
        queue=key[2],
        spec=json.loads(v["runSpec"]),
        template_variables=json.loads(v["templateVariableValues"]) if v.get("templateVariableValues") else None,
        priority=v.get("priority"),
    )
    queues.items[item.id] = item
    return {"pushToRunQueueByName": {"runQueueItemId": item.id, "runSpec": v["runSpec"]}}


def project_run_queues(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    found = [
        {"id": queue_id, "name": name, "createdBy": state.entity, "access": "PROJECT"}
        for (entity, project, name), queue_id in launch_queues(state).queues.items()
        if (entity, project) == (v["entity"], v["projectName"])
    ]
    return {"project": {"runQueues": found}}


def get_run_queue_item(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    queues = launch_queues(state)
    key = (v["entityName"], v["projectName"], v["runQueue"])
    if key not in queues.queues:
        return {"project": {"runQueue": None}}
    items = [item for item in queues.items.values() if (item.entity, item.project_queue, item.queue) == key]
    for item in items:
        if v.get("itemId") in (None, item.id):
            queues._polled(item)
    nodes = [{"id": item.id, "state": item.state, "associatedRunId": item.run_id} for item in items]
    if "itemId" in v:
        return {"project": {"runQueue": {"runQueueItem": next((n for n in nodes if n["id"] == v["itemId"]), None)}}}
    # The legacy shape, asked for when a server rejects the by-id query: every item of the queue.
    return {"project": {"runQueue": {"runQueueItems": {"edges": [{"node": node} for node in nodes]}}}}


def _run_state(state: State, key: tuple[str, str, str]) -> str:
    """Launched runs report what the test set; other runs what their exit code says."""
    launched = launch_queues(state).run_states.get(key)
    if launched is not None:
        return launched
    exit_code = state.runs[key].exit_code
    return "running" if exit_code is None else "finished" if exit_code == 0 else "failed"


def run(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    """``Run`` and ``RunState``: one shape with the fields of both of the SDK's run fragments."""
    key = (v["entity"], v["project"], v["name"])
    found = state.runs.get(key)
    if found is None:
        return {"project": {"run": None}}
    node = {
        **state.run_info(found),
        "projectId": "1",
        "tags": found.tags,
        "state": _run_state(state, key),
        "sweepName": None,
        "group": None,
        "jobType": None,
        "commit": None,
        "readOnly": False,
        "createdAt": "2026-01-01T00:00:00",
        "heartbeatAt": "2026-01-01T00:00:00",
        "description": None,
        "notes": None,
        "systemMetrics": "{}",
        "summaryMetrics": json.dumps(found.summary),
        "historyKeys": None,
        "user": {"name": state.entity, "username": state.entity},
    }
    return {"project": {"run": node}}


LAUNCH_HANDLERS: dict[str, Callable[[State, dict[str, Any], str], dict[str, Any]]] = {
    "pushToRunQueueByName": push_to_run_queue_by_name,
    "ProjectRunQueues": project_run_queues,
    "GetRunQueueItem": get_run_queue_item,
    "Run": run,
    "RunState": run,
}
