"""The example's checks and automation on the project's own assets: the blocking threshold check gates the
registry, a new labels version is seen (data version, staleness), and the sensor and the automation
conditions each ask for retraining once."""

import dagster as dg
import pytest
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.loader import LoadingContextForTest

from tests._package import TRAINING_ASSETS, automation, checks, dataset_assets, external_artifact, model_assets

LABELS = dataset_assets.wine_labels
TRAINING = [LABELS, *TRAINING_ASSETS, checks.model_meets_thresholds]
RETRAINED = {key.to_user_string() for asset in TRAINING_ASSETS for key in asset.keys}
NEW_NAMES = {"0": "barolo", "1": "grignolino", "2": "barbera"}


@pytest.fixture
def trained(resources, instance, wandb_resource):
    """The labels published and observed, and the whole family materialized once."""
    external_artifact.seed_external_artifact(wandb_resource.settings())
    observe(resources, instance)
    result = dg.materialize(TRAINING, resources=resources, instance=instance)
    assert result.success
    return result


def observe(resources, instance):
    assert dg.materialize(TRAINING, selection=[LABELS], resources=resources, instance=instance).success


def materialized(result):
    return {event.asset_key.path[-1] for event in result.get_asset_materialization_events()}


def stale_status(resources, instance, name):
    defs = dg.Definitions(assets=TRAINING, resources=resources)
    resolver = CachingStaleStatusResolver(instance, defs.resolve_asset_graph(), LoadingContextForTest(instance))
    return resolver.get_status(dg.AssetKey(name))


def test_the_threshold_check_passes_and_the_model_is_promoted(trained):
    [evaluation] = trained.get_asset_check_evaluations()
    assert evaluation.passed and evaluation.check_name == "model_meets_thresholds"
    assert {"accuracy", "f1_macro", "min_accuracy", "min_f1_macro"} <= set(evaluation.metadata)
    assert "registered_model" in materialized(trained)
    assert trained.output_for_node("registered_model")["promoted"] is True


def test_a_failing_blocking_check_keeps_a_worse_model_out_of_the_registry(trained, resources, instance):
    # Regularized this hard, the classifier barely separates the cultivars.
    worse = {"ops": {"trained_model": {"config": {"regularization": 0.0001}}}}
    result = dg.materialize(
        TRAINING,
        selection=[
            model_assets.trained_model,
            model_assets.model_evaluation,
            model_assets.registered_model,
            checks.model_meets_thresholds,
        ],
        resources=resources,
        instance=instance,
        run_config=worse,
        raise_on_error=False,
    )
    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert "accuracy" in evaluation.description and "< 0.9" in evaluation.description
    assert not result.success
    assert {"trained_model", "model_evaluation"} <= materialized(result)
    assert "registered_model" not in materialized(result)
    promotions = instance.fetch_materializations(dg.AssetKey("registered_model"), limit=10).records
    assert len(promotions) == 1, "only the first, good model was ever promoted"


def test_a_new_labels_version_marks_the_data_stale_and_the_same_content_does_not(
    trained, resources, instance, wandb_resource
):
    external_artifact.seed_external_artifact(wandb_resource.settings())  # same names again
    observe(resources, instance)
    assert stale_status(resources, instance, "raw_dataset") == StaleStatus.FRESH
    external_artifact.seed_external_artifact(wandb_resource.settings(), NEW_NAMES)
    observe(resources, instance)
    assert stale_status(resources, instance, "raw_dataset") == StaleStatus.STALE


def test_the_automation_conditions_request_retraining_once_after_a_new_labels_version(
    trained, resources, instance, wandb_resource
):
    defs = dg.Definitions(assets=TRAINING, resources=resources)
    quiet = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert quiet.total_requested == 0
    external_artifact.seed_external_artifact(wandb_resource.settings(), NEW_NAMES)
    observe(resources, instance)
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=quiet.cursor)
    requested = {result.key.path[-1] for result in tick.results if result.true_subset.size}
    assert requested >= RETRAINED
    again = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert {result.key.path[-1] for result in again.results if result.true_subset.size} & RETRAINED == set()


def test_the_labels_sensor_requests_one_training_run_per_new_version(trained, resources, instance, wandb_resource):
    def tick(cursor=None):
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, resources={"wandb_resource": resources["wandb_resource"]}
        )
        return automation.wine_labels_sensor.evaluate_tick(context)

    first = tick()
    [request] = first.run_requests
    assert automation.wine_labels_sensor.job_name == "training_job"  # the daemon names the job on launch
    assert request.tags["wandb/artifact_version"] == "v0"
    assert tick(first.cursor).run_requests == []
    newer = external_artifact.seed_external_artifact(wandb_resource.settings(), NEW_NAMES)
    second = tick(first.cursor)
    assert [r.tags["wandb/artifact_version"] for r in second.run_requests] == [newer.rsplit(":", 1)[1]]
    for event in second.asset_events:  # what the sensor daemon does with them
        instance.report_runless_asset_event(event)
    assert stale_status(resources, instance, "raw_dataset") == StaleStatus.STALE


def test_the_sensors_are_stopped_until_turned_on():
    assert automation.wine_labels_sensor.default_status == dg.DefaultSensorStatus.STOPPED
    assert automation.training_automation.default_status == dg.DefaultSensorStatus.STOPPED


def test_the_integrity_checks_pass_on_what_training_stored(trained, resources, instance):
    result = dg.materialize(
        [*TRAINING, *checks.integrity_checks],
        selection=dg.AssetSelection.checks(*checks.integrity_checks),
        resources=resources,
        instance=instance,
    )
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 5 and all(e.passed for e in evaluations), [e.description for e in evaluations]
