"""What starts runs without anyone clicking: a W&B artifact sensor and declarative automation.

Both are stopped until turned on in the UI (Automation), like the schedule, and both react to a new
version of ``wine_labels`` (``make labels NAMES=a,b,c`` publishes one). Turn on one of them:

- ``wine_labels_sensor`` polls W&B (the local store offline) and requests one ``training_job`` run per
  new version (run key: the version and its digest), recording the observation as it goes;
- ``training_automation`` evaluates the automation conditions: ``wine_labels`` is observed every 15
  minutes, and the data and training families are ``eager``, so a new labels digest re-materializes them
  in order, evaluation checks included.
"""

import dagster as dg

from ..wandb_integration.automation import wandb_artifact_sensor
from .constants import DATA_GROUP, LABELS_ARTIFACT, TRAINING_GROUP
from .jobs import training_job

wine_labels_sensor = wandb_artifact_sensor(
    "wine_labels_sensor",
    [LABELS_ARTIFACT],
    target=training_job,
    observe={LABELS_ARTIFACT: LABELS_ARTIFACT},
    description="Retrains (training_job) once per new version of the wine_labels artifact.",
)

training_automation = dg.AutomationConditionSensorDefinition(
    "training_automation",
    target=dg.AssetSelection.groups(DATA_GROUP, TRAINING_GROUP),
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Observes wine_labels and re-materializes the data and training families when it changes.",
)
