"""Names and defaults shared by the definitions. Edit the W&B entity and project here."""

WANDB_ENTITY = "{{ cookiecutter.wandb_entity }}"
WANDB_PROJECT = "{{ cookiecutter.wandb_project }}"
# "auto": W&B when WANDB_API_KEY is set, else the local store; WANDB_MODE=offline always wins.
WANDB_MODE = "{{ cookiecutter.default_mode }}"
# Added to the tags of every W&B run the IO manager opens, to find this project's runs.
PROJECT_TAG = "{{ cookiecutter.project_slug }}"

# Resource keys, as in the W&B guide.
WANDB_RESOURCE_KEY = "wandb_resource"
ARTIFACTS_IO_MANAGER_KEY = "wandb_artifacts_manager"

# Concurrency pool of every asset that talks to W&B (`@dg.asset(pool=WANDB_POOL)`): its limit caps W&B
# calls across all runs. Set it with `dagster instance concurrency set wandb 4` (see deploy/README.md).
WANDB_POOL = "wandb"

# Asset groups, as shown in the Dagster UI.
DATA_GROUP = "data"
TRAINING_GROUP = "training"
EXAMPLES_GROUP = "artifact_patterns"
PARTITIONS_GROUP = "partitions"

# The artifact a labelling team publishes outside Dagster (external_artifact.py plays that team), and its file.
LABELS_ARTIFACT = "wine_labels"
LABELS_FILE = "labels.json"

# The model registry collection models are promoted to (local registry offline).
REGISTRY_COLLECTION = "wandb-registry-model/{{ cookiecutter.package_name }}_classifier"
