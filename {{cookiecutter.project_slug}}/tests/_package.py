"""The package under test, named once here so test modules need no template placeholders."""

from importlib import import_module

PACKAGE_NAME = "{{ cookiecutter.package_name }}"

package = import_module(PACKAGE_NAME)
integration = import_module(f"{PACKAGE_NAME}.wandb_integration")
