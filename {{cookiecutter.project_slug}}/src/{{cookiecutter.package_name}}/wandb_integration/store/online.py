"""The W&B back end: the same ``ArtifactStore`` interface over public wandb SDK calls.

One W&B run per store, i.e. per Dagster step process: opened on first use with the configured run id
(resumed if it exists, so user code can share it) and finished in ``close()``, which the IO manager calls
at teardown, also after a failure. Every input and output of the step goes through that one run; the
module-global ``wandb.run`` of user code is never touched (``reinit="create_new"``).

Reads go through ``run.use_artifact`` so W&B records the lineage; files are downloaded once into the
local cache (``cache.py``) and verified against the manifest digest before use.
"""

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..cache import ArtifactCache
from ..digests import file_digest
from ..errors import ArtifactIntegrityError, ArtifactNotFoundError
from ..resource import wandb_settings
from ..settings import WandbSettings
from .base import ArtifactDraft, ArtifactId, ArtifactStore, ArtifactVersion, ManifestEntry

LINEAGE_KEY = "dagster_lineage"


class WandbArtifactStore(ArtifactStore):
    """Artifacts in W&B, through one lazily opened run."""

    def __init__(self, settings: WandbSettings, options: Any, cache_duration_in_minutes: float, sdk: Any = None):
        self.settings = settings
        self.options = options
        self._sdk = sdk
        self._run: Any = None
        self.cache = ArtifactCache(settings.cache_dir, cache_duration_in_minutes)
        self._verified: set[Path] = set()

    @property
    def sdk(self) -> Any:
        if self._sdk is None:
            import wandb

            self._sdk = wandb
        return self._sdk

    def run(self) -> Any:
        """The step's W&B run, opened on first use."""
        if self._run is None:
            self.settings.runs_dir.mkdir(parents=True, exist_ok=True)
            self._run = self.sdk.init(
                id=self.options.run_id,
                name=self.options.run_name,
                tags=list(self.options.run_tags),
                entity=self.settings.entity,
                project=self.settings.project,
                dir=str(self.settings.runs_dir),
                job_type="dagster",
                resume="allow",
                reinit="create_new",
                settings=wandb_settings(self.settings),
            )
        return self._run

    # ------------------------------------------------------------------ writing
    @contextmanager
    def staging_dir(self) -> Iterator[Path]:
        root = self.settings.integration_dir / "staging"
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root) as folder:
            yield Path(folder)

    def commit(self, draft: ArtifactDraft) -> ArtifactVersion:
        artifact = self.sdk.Artifact(
            draft.id.name,
            draft.type,
            description=draft.description,
            metadata={**draft.metadata, LINEAGE_KEY: draft.lineage},
        )
        for path, local in draft.files.items():
            # Immutable: wandb uploads from our staging file instead of copying it; wait() below keeps it alive.
            artifact.add_file(str(local), name=path, policy="immutable")
        for reference in draft.references:
            artifact.add_reference(reference.ref, name=reference.path, checksum=reference.digest != reference.ref)
        logged = self.run().log_artifact(artifact, aliases=list(draft.aliases))
        logged.wait()
        return self._version(logged)

    def link(self, version: ArtifactVersion, target: ArtifactId, aliases: Sequence[str] = ()) -> ArtifactVersion:
        linked = version.handle.link(f"{target.entity}/{target.project}/{target.name}", aliases=list(aliases))
        return self._version(linked) if linked is not None else version

    # ------------------------------------------------------------------ reading
    def resolve(
        self, artifact_id: ArtifactId, *, version: int | None = None, alias: str | None = None
    ) -> ArtifactVersion:
        selector = f"v{version}" if version is not None else (alias or "latest")
        qualified = f"{artifact_id}:{selector}"
        try:
            artifact = self.run().use_artifact(qualified)
        except (self.sdk.errors.CommError, ValueError) as exc:
            raise ArtifactNotFoundError(
                f"W&B has no artifact {qualified} ({exc}); check the name, version or alias in the W&B UI "
                f"(project {artifact_id.entity}/{artifact_id.project})."
            ) from exc
        return self._version(artifact)

    def local_path(self, version: ArtifactVersion, entry_path: str) -> Path:
        entry = version.entries.get(entry_path)
        if entry is None:
            raise ArtifactNotFoundError(
                f"artifact {version.id}:{version.version_tag} has no entry {entry_path!r}; "
                f"entries: {', '.join(sorted(version.entries)) or '(none)'}."
            )
        if entry.ref is not None:
            raise ArtifactNotFoundError(
                f"entry {entry_path!r} of {version.id}:{version.version_tag} is a reference to {entry.ref}; "
                "its bytes are not stored in W&B. Read it from the reference."
            )
        key = f"{version.id}:{version.version_tag}"
        folder = self.cache.get_or_populate(key, lambda target: version.handle.download(root=str(target)))
        path = folder / entry_path
        if path not in self._verified:
            if not path.is_file() or file_digest(path) != entry.digest:
                raise ArtifactIntegrityError(
                    f"downloaded file {path} of {key} does not match its manifest digest {entry.digest}; "
                    "delete the cache folder and retry."
                )
            self._verified.add(path)
        return path

    def open(self, version: ArtifactVersion) -> Any:
        return version.handle

    def location(self, version: ArtifactVersion) -> dict[str, str]:
        handle = version.handle
        found = {"wandb_artifact_id": handle.id, "wandb_artifact_url": handle.url}
        if self._run is not None:
            found["wandb_run_url"] = self._run.url
        return {key: value for key, value in found.items() if value}

    def close(self) -> None:
        try:
            if self._run is not None:
                self._run.finish()
                self._run = None
        finally:
            self.cache.release_all()
            self.cache.expire()
            self.cache.close()

    def _version(self, artifact: Any) -> ArtifactVersion:
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
            lineage=metadata.get(LINEAGE_KEY, {}),
            created_at=str(getattr(artifact, "created_at", "") or ""),
            handle=artifact,
        )
