"""The public dagster-wandb library's known defects (contract §9), each pinned by a test that fails on it.

Where the behaviour is exercised elsewhere, the test lives there:

1. private wandb imports ............ test_online_store.py (no ``wandb.sdk.internal`` in the package)
2. Launch functions that are gone ... test_launch.py (every wandb call bound to the real signature)
3. no offline mode .................. every test here runs offline; test_settings.py resolves the modes
4. user aliases mutated ............. test_io_manager.py::test_user_aliases_are_never_mutated_and_do_not_pile_up
5. prefixed keys named by 1st part .. test_io_manager.py::test_prefixed_asset_keys_get_distinct_artifacts
6. hourly partitions crash .......... test_partitions.py::test_hourly_partition_keys_are_sanitised
7. several partitions rejected ...... test_partitions.py::
   test_single_run_backfill_writes_one_version_per_partition
8. one mapped partition not a dict .. test_partitions.py::test_a_mapping_to_one_partition_still_returns_a_dict
9. get / get_path fall back silently  test_io_manager.py::test_get_path_and_missing_entries_name_what_exists
10. unfilled placeholders ........... below
11. cache purge walks the tree ...... test_cache.py (expiry by recorded last use, held entries kept)
12. one wandb.init per input/output . test_online_store.py (one run per step)
13. behaviour changes under pytest .. below
14. any output.pickle unpickled ..... test_io_manager.py::test_a_pickle_the_integration_did_not_write_is_never_...
15. reads default to latest ......... test_io_manager.py::test_reads_get_the_version_upstream_wrote_in_this_run_...
"""

import ast

from tests import _sources

# Test support shipped for users' own tests may mention pytest; production modules may not.
PRODUCTION_MODULES = sorted(
    module for module, path in _sources.MODULES.items() if "testing" not in path.relative_to(_sources.PACKAGE_DIR).parts
)


def test_error_messages_have_no_unfilled_placeholders():
    """A message with ``{name}`` must be an f-string, or the user sees the braces instead of the value."""
    offenders = []
    for module in PRODUCTION_MODULES:
        for node in ast.walk(_sources.TREES[module]):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                for arg in node.exc.args:
                    parts = arg.values if isinstance(arg, ast.JoinedStr) else [arg]
                    for part in parts:
                        text = part.value if isinstance(part, ast.Constant) and isinstance(part.value, str) else ""
                        if not isinstance(arg, ast.JoinedStr) and "{" in text and "}" in text:
                            offenders.append(f"{module}:{node.lineno}")
    assert PRODUCTION_MODULES
    assert offenders == []


def test_production_code_never_checks_for_pytest():
    sources = {module: _sources.MODULES[module].read_text() for module in PRODUCTION_MODULES}
    offenders = [module for module, text in sources.items() if "pytest" in text or "PYTEST_CURRENT_TEST" in text]
    assert offenders == []
