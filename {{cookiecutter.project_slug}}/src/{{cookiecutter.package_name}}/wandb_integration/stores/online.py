"""The W&B back end: the same ``ArtifactStore`` interface over public wandb SDK calls.

One W&B run per Dagster step process: opened on first use with the configured run id (resumed if it
exists) and let go in ``close()``, which the IO manager calls at teardown, also after a failure. Every
input and output of the step goes through that one run. Within the process it is shared (``runs.py``)
with other IO manager keys and with ``WandbResource.run()``, since wandb refuses to open one run id twice;
the last holder finishes it. The module-global ``wandb.run`` of user code is never touched
(``reinit="create_new"`` neither sets it nor finishes other runs).

Reads go through ``run.use_artifact`` so W&B records the lineage; files are downloaded once per version
into the local cache (``cache.py``) and verified against the manifest digest before use.

Only the public SDK is used (``wandb.init``, ``Run.log_artifact`` / ``use_artifact`` / ``finish``,
``wandb.Artifact``, ``Artifact.wait`` / ``download`` / ``link``, ``wandb.Api``). Tests pass a recording fake
as ``sdk``; by default it is the ``wandb`` module, imported on first use.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import runs
from ..connectivity import check_server
from ..errors import ArtifactIntegrityError, ArtifactNotFoundError, WandbConfigurationError
from ..settings import WandbSettings, wandb_settings
from .base import ArtifactDraft, ArtifactId, ArtifactStore, ArtifactVersion, ManifestEntry
from .cache import ArtifactCache
from .checkout import CHECKOUTS, Checkouts
from .records import check_plain
from .references import referenced_file
from .verification import Verifier

if TYPE_CHECKING:
    from ..runs import RunOptions

# Artifact metadata key holding the Dagster lineage (run, step, versions read); W&B has no field for it.
LINEAGE_KEY = "dagster_lineage"


class WandbArtifactStore(ArtifactStore):
    """Artifacts in W&B, through one lazily opened run."""

    def __init__(
        self,
        settings: WandbSettings,
        options: RunOptions,
        cache_duration_in_minutes: float,
        sdk: Any = None,
    ) -> None:
        if settings.mode != "online":
            raise WandbConfigurationError(
                f"the W&B store needs mode 'online' but the resolved mode is {settings.mode!r} "
                f"({settings.mode_reason}); use the local store offline."
            )
        self.settings = settings
        self.options = options
        self.cache = ArtifactCache(settings.cache_dir, cache_duration_in_minutes)
        self._sdk = sdk
        self._run: Any = None
        self._api: Any = None
        self._lock = threading.Lock()  # a step's outputs may be handled from more than one thread
        self._verifier = Verifier()
        self.checkouts = Checkouts(self.cache.root / CHECKOUTS, self._verifier)

    @property
    def sdk(self) -> Any:
        if self._sdk is None:
            import wandb

            self._sdk = wandb
        return self._sdk

    def run(self) -> Any:
        """The step's W&B run, opened on first use."""
        with self._lock:
            if self._run is None:
                check_server(self.settings)
                self.settings.runs_dir.mkdir(parents=True, exist_ok=True)
                self._run = runs.acquire(
                    self.sdk,
                    self.options.run_id,
                    self.settings.entity,
                    self.settings.project,
                    self._init,
                    init_kwargs={"name": self.options.run_name, "tags": list(self.options.run_tags)},
                )
            return self._run

    def _init(self) -> Any:
        return self.sdk.init(
            id=self.options.run_id,
            name=self.options.run_name,
            tags=list(self.options.run_tags),
            entity=self.settings.entity,
            project=self.settings.project,
            dir=str(self.settings.runs_dir),
            job_type="dagster",
            # Explicit, so a `wandb offline` settings file cannot turn this run into an offline one
            # (use_artifact refuses to work offline).
            mode="online",
            resume="allow",
            reinit="create_new",
            settings=wandb_settings(self.settings),
        )

    # ------------------------------------------------------------------ writing
    @contextmanager
    def staging_dir(self) -> Iterator[Path]:
        root = self.settings.integration_dir / "staging"
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root) as folder:
            yield Path(folder)

    def commit(self, draft: ArtifactDraft) -> ArtifactVersion:
        check_plain(draft.metadata, f"metadata of artifact '{draft.id}'")  # wandb would lose colliding keys
        artifact = self.sdk.Artifact(
            draft.id.name,
            draft.type,
            description=draft.description,
            metadata={**draft.metadata, LINEAGE_KEY: dict(draft.lineage)},
        )
        for path, local in sorted(draft.files.items()):
            # Immutable: wandb uploads our staged file instead of copying it first; wait() below returns
            # only after the upload, before the staging folder goes away.
            artifact.add_file(str(local), name=path, policy="immutable")
        for reference in draft.references:
            # A reference whose digest is its URI was added with checksum=False (see extra_entries.py).
            artifact.add_reference(reference.ref, name=reference.path, checksum=not reference.unchecked)
        # A copy: wandb must not hold (or change) the list the draft, and so the user's config, owns.
        logged = self.run().log_artifact(artifact, aliases=list(draft.aliases))
        logged.wait()
        return version_of(logged)

    def link(self, version: ArtifactVersion, target: ArtifactId, aliases: Sequence[str] = ()) -> ArtifactVersion:
        linked = version.handle.link(f"{target.entity}/{target.project}/{target.name}", aliases=list(aliases))
        return version_of(linked) if linked is not None else version

    # ------------------------------------------------------------------ reading
    def resolve(
        self, artifact_id: ArtifactId, *, version: int | None = None, alias: str | None = None
    ) -> ArtifactVersion:
        if version is not None and alias is not None:
            raise WandbConfigurationError(
                f"both version {version!r} and alias {alias!r} are given for artifact '{artifact_id}'; "
                "give one of them."
            )
        qualified = f"{artifact_id}:{f'v{version}' if version is not None else (alias or 'latest')}"
        try:
            artifact = self.run().use_artifact(qualified)
        except (ValueError, self.sdk.errors.CommError) as exc:
            if not is_not_found(exc):
                raise  # not a missing artifact (a network or server error): keep wandb's own message
            raise WandbArtifactNotFoundError(
                f"W&B has no artifact {qualified}; check the name, version or alias (the W&B UI lists them "
                "under Artifacts).",
                lambda: self._what_exists(artifact_id),
            ) from exc
        return version_of(artifact)

    def _what_exists(self, artifact_id: ArtifactId) -> str:
        """A sentence naming the versions and aliases of ``artifact_id``; only computed for error messages."""
        try:
            latest = self.api().artifact(f"{artifact_id}:latest")
            aliases = sorted(latest.collection.aliases)
        except Exception as exc:  # any failure: a hint for an error message must not replace the error
            if is_not_found(exc):
                return f"No artifact named {artifact_id.name!r} exists in {artifact_id.entity}/{artifact_id.project}."
            return f"(Listing its versions failed too: {exc}.)"
        versions = "v0" if latest.version == "v0" else f"v0 to {latest.version}"
        return f"Versions: {versions}; aliases: {', '.join(aliases) or '(none)'}."

    def api(self) -> Any:
        """A ``wandb.Api`` with this store's key and host (no ``~/.netrc``, no global login)."""
        if self._api is None:
            check_server(self.settings)
            overrides = {"entity": self.settings.entity, "project": self.settings.project}
            if self.settings.host:
                overrides["base_url"] = self.settings.host
            self._api = self.sdk.Api(overrides=overrides, api_key=self.settings.api_key)
        return self._api

    def local_path(self, version: ArtifactVersion, entry_path: str) -> Path:
        entry = version.entries.get(entry_path)
        if entry is None:
            raise ArtifactNotFoundError(
                f"artifact {version.id}:{version.version_tag} has no entry {entry_path!r}; "
                f"entries: {', '.join(sorted(version.entries)) or '(none)'}."
            )
        if entry.ref is not None:
            return referenced_file(entry, f"{version.id}:{version.version_tag}", "in W&B", self._verifier)
        key = f"{version.id}:{version.version_tag}"
        # Held until close(), so expiry in any process leaves it alone while this step uses it.
        folder = self.cache.get_or_populate(key, lambda target: _download(version, target))
        path = folder / entry_path
        try:
            return self._verifier.check(path, entry, key)
        except ArtifactIntegrityError as exc:
            raise ArtifactIntegrityError(
                f"downloaded file {path} of {key} does not match its manifest digest {entry.digest}; "
                f"delete {folder} and retry."
            ) from exc

    def open(self, version: ArtifactVersion) -> Any:
        return version.handle

    def location(self, version: ArtifactVersion) -> dict[str, str]:
        handle = version.handle
        found = {"wandb_artifact_id": handle.id, "wandb_artifact_url": handle.url}
        if self._run is not None:
            found["wandb_run_url"] = self._run.url
        return {key: value for key, value in found.items() if value}

    def close(self, failed: Callable[[], bool] = lambda: False) -> None:
        """Finish the run (if one was opened; exit code 1 when the step failed, so W&B shows it failed),
        release cache holds, expire unused cache entries."""
        try:
            with self._lock:
                run, self._run = self._run, None
            if run is not None:
                runs.release(self.sdk, run, failed=failed())
        finally:
            self.cache.release_all()
            try:
                self.cache.expire()  # indexed: costs what it removes, never what this step held
            finally:
                self.cache.close()
                self.checkouts.close()


class WandbArtifactNotFoundError(ArtifactNotFoundError):
    """Not found on W&B, with what does exist looked up only when the message is shown (the class name is
    what Dagster prints before the message).

    The IO manager catches not-found as control flow (the run's own alias first, then ``latest``), where
    the lookup (two W&B API calls) would be wasted; a failing step shows the message, and pays then.
    """

    def __init__(self, headline: str, hint: Callable[[], str]) -> None:
        super().__init__(headline)
        self._hint: Callable[[], str] | None = hint
        self._message = headline

    def __str__(self) -> str:
        if self._hint is not None:
            hint, self._hint = self._hint, None  # once; and the store it refers to is let go
            self._message = f"{self._message} {hint()}"
        return self._message

    def __reduce__(self) -> tuple[Any, ...]:
        return (ArtifactNotFoundError, (str(self),))  # pickles (to other processes) as the plain error


def _download(version: ArtifactVersion, target: Path) -> None:
    """Fill an empty cache folder with the stored files of ``version``."""
    artifact = version.handle
    if any(entry.ref is not None for entry in version.entries.values()):
        # Artifact.download would also fetch every reference (http, s3, ...); only stored files belong here.
        for path, entry in version.entries.items():
            if entry.ref is None:
                artifact.get_entry(path).download(root=str(target))
    else:
        artifact.download(root=str(target))


def is_not_found(exc: BaseException) -> bool:
    """Whether a wandb error means the artifact does not exist (wandb has no class of its own for it),
    rather than that W&B could not be asked."""
    return "not found" in str(exc).lower()


def version_of(artifact: Any) -> ArtifactVersion:
    """Our ``ArtifactVersion`` for a logged ``wandb.Artifact`` (which stays available as ``handle``)."""
    name = artifact.name.split(":")[0]
    entries = {
        path: ManifestEntry(path=path, digest=str(entry.digest), size=entry.size or 0, ref=entry.ref)
        for path, entry in artifact.manifest.entries.items()
    }
    metadata = dict(artifact.metadata or {})
    return ArtifactVersion(
        id=ArtifactId(artifact.entity, artifact.project, name),
        version=int(str(artifact.version).removeprefix("v")),
        type=artifact.type,
        digest=artifact.digest,
        entries=entries,
        aliases=tuple(artifact.aliases),
        description=artifact.description,
        metadata=metadata,
        lineage=metadata.get(LINEAGE_KEY) or {},
        created_at=str(artifact.created_at or ""),
        handle=artifact,
    )
