"""The package under test, named once here so test modules need no template placeholders."""

from importlib import import_module

PACKAGE_NAME = "{{ cookiecutter.package_name }}"

package = import_module(PACKAGE_NAME)
integration = import_module(f"{PACKAGE_NAME}.wandb_integration")
local_store = import_module(f"{PACKAGE_NAME}.wandb_integration.stores.local")
store_base = import_module(f"{PACKAGE_NAME}.wandb_integration.stores.base")
artifact_cache = import_module(f"{PACKAGE_NAME}.wandb_integration.stores.cache")
digests = import_module(f"{PACKAGE_NAME}.wandb_integration.stores.digests")
store_files = import_module(f"{PACKAGE_NAME}.wandb_integration.stores.files")
verification = import_module(f"{PACKAGE_NAME}.wandb_integration.stores.verification")
formats = import_module(f"{PACKAGE_NAME}.wandb_integration.serialization.formats")
definitions = import_module(f"{PACKAGE_NAME}.definitions")
dataset_assets = import_module(f"{PACKAGE_NAME}.defs.assets.dataset")
model_assets = import_module(f"{PACKAGE_NAME}.defs.assets.model")
advanced_assets = import_module(f"{PACKAGE_NAME}.defs.assets.advanced")
checks = import_module(f"{PACKAGE_NAME}.defs.checks")
automation = import_module(f"{PACKAGE_NAME}.defs.automation")
external_artifact = import_module(f"{PACKAGE_NAME}.external_artifact")
integration_main = import_module(f"{PACKAGE_NAME}.wandb_integration.__main__")

# The example's training family in graph order (what training_job materializes), shared by the tests
# that run it.
TRAINING_ASSETS = [
    dataset_assets.raw_dataset,
    dataset_assets.train_test_split,
    model_assets.trained_model,
    model_assets.model_evaluation,
    model_assets.evaluation_report,
    model_assets.registered_model,
]
