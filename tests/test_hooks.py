"""Unit tests of the hooks, rendered the way cookiecutter renders them and imported as modules."""

import importlib.util
import json

import jinja2
import pytest

from .conftest import DEFAULTS, REPO


def answers(**overrides) -> dict:
    values = {
        "project_name": "Wine Quality ML",
        "project_slug": "wine-quality-ml",
        "package_name": "wine_quality_ml",
        "description": "A project.",
        "wandb_entity": "my-team",
        "wandb_project": "wine-quality-ml",
        "default_mode": "auto",
        "include_launch": True,
        "include_partitions": True,
        "ci": "github-actions",
        "_dagster_version": DEFAULTS["_dagster_version"],
        "_output_dir": "/somewhere/on/this/machine",
        "_repo_dir": "/template",
        "_checkout": None,
    }
    values.update(overrides)
    return values


def load_hook(name: str, tmp_path, **overrides):
    source = (REPO / "hooks" / f"{name}.py").read_text()
    environment = jinja2.Environment(extensions=["jinja2.ext.do"])
    environment.filters["tojson"] = lambda value: json.dumps(value)
    rendered = environment.from_string(source).render(cookiecutter=answers(**overrides))
    path = tmp_path / f"{name}.py"
    path.write_text(rendered)
    spec = importlib.util.spec_from_file_location(f"hook_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def pre(tmp_path):
    return load_hook("pre_gen_project", tmp_path)


@pytest.mark.parametrize(
    ("package_name", "fragment"),
    [
        ("Wine", "not a lowercase Python identifier"),
        ("wine-quality", "not a lowercase Python identifier"),
        ("1wine", "not a lowercase Python identifier"),
        ("class", "Python keyword"),
        ("json", "would shadow"),
        ("dagster", "would shadow"),
        ("wandb", "would shadow"),
        ("pandas", "would shadow"),
    ],
)
def test_package_names_are_checked(pre, package_name, fragment):
    with pytest.raises(pre.AnswerError, match=fragment) as excinfo:
        pre.check_package_name(package_name)
    assert repr(package_name) in str(excinfo.value)
    assert "use" in str(excinfo.value)


def test_a_good_package_name_passes(pre):
    pre.check_package_name("wine_quality_ml")


@pytest.mark.parametrize("slug", ["Wine", "wine quality", "-wine", "wine_quality", ""])
def test_slugs_are_checked(pre, slug):
    with pytest.raises(pre.AnswerError, match="project_slug"):
        pre.check_project_slug(slug)


@pytest.mark.parametrize(
    ("entity", "project", "fragment"),
    [
        ("my team", "p", "wandb_entity 'my team'"),
        ("e", "a/b", "wandb_project 'a/b'"),
        ("e", " ", "wandb_project"),
        ("e", "x" * 129, "up to 128"),
    ],
)
def test_wandb_names_are_checked(pre, entity, project, fragment):
    with pytest.raises(pre.AnswerError, match=fragment):
        pre.check_wandb_names(entity, project)


def test_online_mode_with_the_placeholder_entity_is_refused(pre):
    with pytest.raises(pre.AnswerError, match=r"default_mode 'online'.*'my-entity'"):
        pre.check_combinations(answers(default_mode="online", wandb_entity="my-entity"))
    pre.check_combinations(answers(default_mode="online", wandb_entity="real-team"))


@pytest.mark.parametrize("key", ["project_name", "description"])
def test_multi_line_text_is_refused(pre, key):
    with pytest.raises(pre.AnswerError, match=key):
        pre.check_single_line(answers(**{key: "one\ntwo"}))


def test_main_prints_one_error_line_and_exits_1(tmp_path, capsys):
    hook = load_hook("pre_gen_project", tmp_path, package_name="wandb")
    assert hook.main() == 1
    assert capsys.readouterr().err.startswith("ERROR: package_name 'wandb' would shadow")


def test_answers_are_data_never_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    payload = '"""; import os; os.system(\'touch PWNED\'); x = """'
    hook = load_hook("pre_gen_project", tmp_path, project_name=payload, description="\\ ' \" {{ 7*7 }}")
    assert hook.ANSWERS["project_name"] == payload
    assert hook.ANSWERS["description"] == "\\ ' \" {{ 7*7 }}"
    assert not (tmp_path / "PWNED").exists()


def make_tree(root, package):
    for relative in (
        f"src/{package}/defs/launch_jobs.py",
        "launch/train.py",
        "tests/defs/test_launch_jobs.py",
        f"src/{package}/defs/assets/partitioned.py",
        "tests/defs/assets/test_partitioned.py",
        ".github/workflows/ci.yml",
        "README.md",
    ):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")


def test_post_hook_removes_each_unselected_option(tmp_path, monkeypatch):
    project = tmp_path / "project"
    make_tree(project, "wine_quality_ml")
    monkeypatch.chdir(project)
    hook = load_hook("post_gen_project", tmp_path, include_launch=False, include_partitions=False, ci="none")
    assert hook.main() == 0
    left = sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())
    assert left == [".cookiecutter.json", "README.md"]


def test_post_hook_keeps_selected_options_and_writes_replay_answers(tmp_path, monkeypatch):
    project = tmp_path / "project"
    make_tree(project, "wine_quality_ml")
    monkeypatch.chdir(project)
    hook = load_hook("post_gen_project", tmp_path)
    hook.main()
    assert (project / "launch" / "train.py").exists() and (project / ".github").exists()
    replay = json.loads((project / ".cookiecutter.json").read_text())["cookiecutter"]
    assert replay["package_name"] == "wine_quality_ml"
    assert not {"_output_dir", "_repo_dir", "_checkout"} & set(replay), "no machine paths in the replay file"


def test_post_hook_fails_loudly_when_an_optional_file_is_missing(tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    hook = load_hook("post_gen_project", tmp_path, include_launch=False)
    with pytest.raises(FileNotFoundError, match=r"launch_jobs\.py"):
        hook.remove_launch_examples(project, "wine_quality_ml")


def test_hooks_do_not_touch_the_network():
    for name in ("pre_gen_project", "post_gen_project"):
        source = (REPO / "hooks" / f"{name}.py").read_text()
        for module in ("urllib", "requests", "http", "socket", "subprocess"):
            assert f"import {module}" not in source, (name, module)
