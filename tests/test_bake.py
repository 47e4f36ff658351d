"""Bake a matrix of option combinations and check each project: files, rendering, lint and its own tests.

The full product is taken over the options that interact (Launch x partitions: both add definitions the
jobs and tests see); the others are cycled through it. Heavier checks (the generated test suites) run on the
default and the all-off combinations only.
"""

import itertools
import re
import tomllib

import pytest
from cookiecutter.exceptions import FailedHookException

from .conftest import BIN, TEMPLATE_DIR, answers_of, bake, python_files_compile, run_in

PACKAGE_DIR = "{{cookiecutter.package_name}}"
# Files each option adds, as this test knows them (independently of the post-gen hook).
OPTIONAL_FILES = {
    "include_launch": ["src/{package}/defs/launch_jobs.py", "launch/", "tests/defs/test_launch_jobs.py"],
    "include_partitions": ["src/{package}/defs/assets/partitioned.py", "tests/defs/assets/test_partitioned.py"],
    "ci": [".github/"],
}
CYCLED = itertools.cycle(
    [
        {"ci": "none", "default_mode": "offline", "project_name": "Churn Model"},
        {"ci": "github-actions", "default_mode": "auto", "project_name": "Wine Quality ML"},
        {"ci": "github-actions", "default_mode": "offline", "project_name": "fraud detector"},
    ]
)
MATRIX = [
    {"include_launch": launch, "include_partitions": partitions, **next(CYCLED)}
    for launch, partitions in itertools.product([True, False], repeat=2)
] + [
    {
        "include_launch": True,
        "include_partitions": False,
        "ci": "none",
        "default_mode": "online",
        "wandb_entity": "acme-ml",
        "project_name": "Online First",
    }
]


def combo_id(answers: dict) -> str:
    flags = [
        "launch" if answers["include_launch"] else "no-launch",
        "partitions" if answers["include_partitions"] else "no-partitions",
        answers["ci"],
        answers["default_mode"],
    ]
    return "-".join(flags)


def template_files(package: str) -> set[str]:
    files = set()
    for path in TEMPLATE_DIR.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            files.add(str(path.relative_to(TEMPLATE_DIR)).replace(PACKAGE_DIR, package))
    return files


def expected_files(answers: dict) -> set[str]:
    package = answers["package_name"]
    removed = []
    if not answers["include_launch"]:
        removed += OPTIONAL_FILES["include_launch"]
    if not answers["include_partitions"]:
        removed += OPTIONAL_FILES["include_partitions"]
    if answers["ci"] == "none":
        removed += OPTIONAL_FILES["ci"]
    removed = [r.format(package=package) for r in removed]
    kept = {f for f in template_files(package) if not any(f == r or f.startswith(r) for r in removed if r)}
    return kept | {".cookiecutter.json"}


def baked_files(project) -> set[str]:
    return {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(params=MATRIX, ids=combo_id)
def project(request, baked):
    return baked(**request.param)


def test_default_bake_with_no_input(baked):
    project = baked()
    answers = answers_of(project)
    assert project.name == "wine-quality-ml"
    assert answers["package_name"] == "wine_quality_ml"
    assert baked_files(project) == expected_files(answers)


def test_exact_file_set(project):
    assert baked_files(project) == expected_files(answers_of(project))


def test_nothing_left_unrendered(project):
    for path in project.rglob("*"):
        if not path.is_file() or ".github" in path.parts or path.name == ".cookiecutter.json":
            continue
        text = path.read_text(errors="replace")
        for marker in ("{{", "{%", "cookiecutter."):
            assert marker not in text, f"{marker!r} left in {path.relative_to(project)}"


def test_python_parses_and_pyproject_is_valid(project):
    python_files_compile(project)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    answers = answers_of(project)
    assert pyproject["project"]["name"] == answers["project_slug"]
    assert pyproject["tool"]["dg"]["project"]["root_module"] == answers["package_name"]
    assert any(dep.startswith("dagster==1.13") for dep in pyproject["project"]["dependencies"])


def test_generated_project_lints_clean(project):
    for command in (["check", "."], ["format", "--check", "."]):
        completed = run_in(project, str(BIN / "ruff"), *command)
        assert completed.returncode == 0, completed.stdout + completed.stderr


def test_make_help_lists_every_target_in_plain_words(project):
    completed = run_in(project, "make", "--no-print-directory", "help")
    assert completed.returncode == 0, completed.stderr
    shown = re.sub(r"\x1b\[[0-9;]*m", "", completed.stdout)  # without the colours
    listed = {line.split()[0] for line in shown.splitlines() if line.strip()}
    makefile = (project / "Makefile").read_text()
    phony = {name for line in makefile.splitlines() if line.startswith(".PHONY:") for name in line.split()[1:]}
    assert phony <= listed, f"targets without a help line: {sorted(phony - listed)}"
    assert "$(" not in shown, "help shows unexpanded make variables"
    assert {"install", "dev", "materialize", "test", "test-all", "publish", "repair"} <= listed


@pytest.mark.slow
@pytest.mark.parametrize(
    ("answers", "server_features", "selection"),
    [
        ({}, "off", ""),
        ({"include_launch": False, "include_partitions": False, "ci": "none"}, "on", "online or not wandb_integration"),
    ],
    ids=["default-features-off", "all-off-features-on"],
)
def test_generated_test_suite_passes(baked, answers, server_features, selection):
    """The generated suite; its online tests see the W&B stand-in report every server feature off in one run
    (the SDK's fallback requests) and on in the other (the newest). The other tests of tests/wandb_integration
    (copied unrendered, so the same in every bake) run once, in the default bake."""
    project = baked(**answers)
    completed = run_in(
        project,
        str(BIN / "python"),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-n",
        "2",
        "-m",
        selection,
        timeout=900,
        env={"WANDB_STAND_IN_FEATURES": server_features},
    )
    assert completed.returncode == 0, completed.stdout[-5000:] + completed.stderr[-2000:]
    assert " passed" in completed.stdout


@pytest.mark.parametrize(
    ("answers", "fragments"),
    [
        ({"default_mode": "online"}, ["default_mode 'online'", "'my-entity'", "wandb_entity"]),
        ({"package_name": "wandb"}, ["package_name 'wandb'", "shadow"]),
        ({"package_name": "json"}, ["package_name 'json'"]),
        ({"package_name": "class"}, ["Python keyword"]),
        ({"project_slug": "Bad Slug"}, ["project_slug 'Bad Slug'"]),
        ({"wandb_entity": "my team"}, ["wandb_entity 'my team'"]),
        ({"wandb_project": "a/b"}, ["wandb_project 'a/b'"]),
        ({"project_name": "two\nlines"}, ["project_name", "line breaks"]),
        ({"project_name": "", "project_slug": "nameless"}, ["project_name is empty", "'Wine Quality ML'"]),
    ],
    ids=[
        "online-placeholder-entity",
        "reserved-wandb",
        "stdlib-json",
        "keyword",
        "slug",
        "entity",
        "project",
        "newline",
        "empty-name",
    ],
)
def test_invalid_answers_fail_in_the_pre_gen_hook(tmp_path, capfd, answers, fragments):
    with pytest.raises(FailedHookException):
        bake(tmp_path, **answers)
    err = capfd.readouterr().err
    for fragment in fragments:
        assert fragment in err
    assert not any(tmp_path.iterdir()), "nothing may be written when the hook refuses"


ADVERSARIAL_TEXT = [
    'It\'s "quoted"',
    "back\\slash \\n \\",
    "__import__('os').system('touch PWNED')",
    "{{ 7 * 7 }} {% raw %}",
    "$(touch PWNED) `touch PWNED`; rm -rf /tmp/nothing",
    "ünïcødé ✓ <b>&amp;</b>",
]


@pytest.mark.parametrize("text", ADVERSARIAL_TEXT, ids=range(len(ADVERSARIAL_TEXT)))
def test_adversarial_descriptions_render_safely(tmp_path, text):
    try:
        project = bake(tmp_path, description=text)
    except FailedHookException:
        return  # refused by the hook with its message: acceptable
    assert not list(tmp_path.rglob("PWNED"))
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    if "{" not in text:  # cookiecutter itself renders Jinja in answers given as extra context
        assert pyproject["project"]["description"] == text
    assert text.split()[0] in (project / "README.md").read_text() or "{" in text
    python_files_compile(project)


@pytest.mark.parametrize(
    "name", ["Robert'); DROP TABLE", "x\" + __import__('os').getcwd() + \"", "$(id)"], ids=["sql", "python", "shell"]
)
def test_adversarial_project_names_are_refused_or_safe(tmp_path, capfd, name):
    try:
        project = bake(tmp_path, project_name=name)
    except FailedHookException:
        assert "ERROR:" in capfd.readouterr().err
        return
    assert not list(tmp_path.rglob("PWNED"))
    python_files_compile(project)


def test_replay_reproduces_the_same_files(tmp_path, baked):
    original = baked(include_partitions=False, ci="none")
    answers = {k: v for k, v in answers_of(original).items() if not k.startswith("_")}
    again = bake(tmp_path, **answers)
    assert baked_files(again) == baked_files(original)


def test_a_configuration_typo_fails_dg_check_defs_naming_the_asset_input_and_key(tmp_path):
    """The newcomer's typo: caught when the code location loads, not when a run reaches the input."""
    project = bake(tmp_path)
    model = next(project.glob("src/*/defs/assets/model.py"))
    model.write_text(model.read_text().replace('{"get": EVALUATION_TABLE}', '{"gett": EVALUATION_TABLE}', 1))
    completed = run_in(project, str(BIN / "dg"), "check", "defs", timeout=300)
    output = completed.stdout + completed.stderr
    assert completed.returncode != 0, output
    for fragment in ("input 'per_class' of asset 'evaluation_report'", "'gett'", "allowed keys are alias, get"):
        assert fragment in output, output[-3000:]


def test_a_successful_bake_says_what_to_run_next(tmp_path, capfd):
    project = bake(tmp_path, project_name="Next Steps")
    out = capfd.readouterr().out
    for line in (f"cd {project.name}", "make install", "make dev"):
        assert line in out, out
