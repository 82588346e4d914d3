"""Templates compiled where the package is installed (compiled_templates.py, decision 83)."""
import datetime as dt
import shutil

import jinja2
import pytest

from minutes import compiled_templates, mail, pages, subscription_web
from minutes.compiled_templates import CompiledTemplates, compile_all

@pytest.fixture
def no_compiling(monkeypatch):
    def refuse(self, source, name=None, *args, **kwargs):
        raise AssertionError(f"{name} was compiled")
    return lambda: monkeypatch.setattr(jinja2.Environment, "compile", refuse)


def test_every_template_is_compiled_into_the_folder_and_loaded_from_it_without_compiling(
        tmp_path, no_compiling):
    count = compile_all(str(tmp_path))
    assert count == len(pages.environment().list_templates(filter_func=lambda n: n.endswith(".j2")))
    assert len(list(tmp_path.glob("*.cache"))) == count
    no_compiling()
    for env, prefix in ((pages.environment(shipped=str(tmp_path)), "site/"),
                        (mail.environment(shipped=str(tmp_path)), "email/"),
                        (subscription_web.environment(shipped=str(tmp_path)), "subscriptions/")):
        for name in env.list_templates(filter_func=lambda n: n.startswith(prefix) and n.endswith(".j2")):
            assert env.get_template(name).name == name


def test_pages_rendered_from_compiled_templates_are_the_same_bytes(tmp_path, no_compiling):
    from tests.unit.test_build_memory import record
    compile_all(str(tmp_path))
    meeting = record(dt.date(2022, 9, 20), "sig", "openxla", "budget review")

    def pages_of(renderer):
        return [renderer.meeting_page(meeting, previous=None, next=None),
                renderer.not_found_page(), renderer.search_page(),
                *renderer.archive_pages([meeting]).values()]
    fresh = pages_of(pages.PageRenderer(pages.SiteConfig(site_url="https://example.org")))
    no_compiling()
    renderer = pages.PageRenderer(pages.SiteConfig(site_url="https://example.org"))
    renderer._env = pages.environment(shipped=str(tmp_path))
    assert pages_of(renderer) == fresh and all(fresh)


def _own_templates(folder, text):
    (folder / "page.j2").parent.mkdir(parents=True, exist_ok=True)
    (folder / "page.j2").write_text(text)


def _env(templates, writable=None, shipped=None):
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)),
                              bytecode_cache=CompiledTemplates("t", writable, shipped))


def test_an_edited_template_is_compiled_afresh_never_served_stale(tmp_path):
    templates, compiled = tmp_path / "templates", tmp_path / "compiled"
    compiled.mkdir()
    _own_templates(templates, "old {{ x }}")
    assert _env(templates, writable=str(compiled)).get_template("page.j2").render(x=1) == "old 1"
    _own_templates(templates, "new {{ x }}")
    assert _env(templates, shipped=str(compiled)).get_template("page.j2").render(x=1) == "new 1"


def test_the_key_is_the_name_not_the_path_so_templates_compiled_in_one_folder_run_from_another(
        tmp_path, no_compiling):
    """The layer is compiled in sam build's folder and runs from /opt/python."""
    built, deployed, compiled = tmp_path / "build", tmp_path / "opt", tmp_path / "compiled"
    compiled.mkdir()
    _own_templates(built, "{{ x }} here")
    _env(built, writable=str(compiled)).get_template("page.j2")
    shutil.copytree(built, deployed)
    no_compiling()
    assert _env(deployed, shipped=str(compiled)).get_template("page.j2").render(x=2) == "2 here"


def test_only_the_writable_folder_is_written_and_a_missing_one_is_not_an_error(tmp_path):
    templates, shipped, writable = tmp_path / "templates", tmp_path / "shipped", tmp_path / "cache"
    shipped.mkdir(), writable.mkdir()
    _own_templates(templates, "{{ x }}")
    _env(templates, shipped=str(shipped)).get_template("page.j2")
    _env(templates, shipped=str(tmp_path / "absent")).get_template("page.j2")
    assert list(shipped.iterdir()) == []
    _env(templates, writable=str(writable), shipped=str(shipped)).get_template("page.j2")
    assert [p.suffix for p in writable.iterdir()] == [".cache"] and list(shipped.iterdir()) == []


def test_the_package_ships_its_compiled_templates_where_the_environments_look():
    """`make` compiles them (the venv's install step); the layer's Makefile does the same."""
    assert compiled_templates.SHIPPED.endswith("/minutes/templates/__pycache__")
    assert pages.environment().bytecode_cache.folders == [compiled_templates.SHIPPED]
    assert mail.environment().bytecode_cache.folders == [compiled_templates.SHIPPED]
    assert subscription_web.environment().bytecode_cache.folders == [compiled_templates.SHIPPED]


def test_an_environment_with_other_options_or_another_jinja2_never_takes_the_compiled_code(
        tmp_path, monkeypatch):
    """The reviewer's finding: keyed by name alone, a change of trim_blocks in pages.py left
    every page as the old option made it, even after compiling again."""
    templates, compiled = tmp_path / "templates", tmp_path / "compiled"
    compiled.mkdir()
    _own_templates(templates, "{% if x %}\nyes\n{% endif %}\n")

    def render(**options):
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)),
                                 bytecode_cache=CompiledTemplates("t", str(compiled)), **options)
        return env.get_template("page.j2").render(x=1)
    assert render() == "\nyes\n"
    assert render(trim_blocks=True) == "yes\n"
    assert render() == "\nyes\n"
    compiled_files = set(compiled.iterdir())
    monkeypatch.setattr(jinja2, "__version__", "9.9.9")
    assert render() == "\nyes\n" and set(compiled.iterdir()) > compiled_files   # compiled anew


def test_a_damaged_foreign_or_cut_short_compiled_template_is_compiled_afresh_not_a_crash(tmp_path):
    templates, compiled = tmp_path / "templates", tmp_path / "compiled"
    compiled.mkdir()
    _own_templates(templates, "{{ x }} and more text {{ x }}")
    _env(templates, writable=str(compiled)).get_template("page.j2")
    (file,) = compiled.glob("*.cache")
    whole = file.read_bytes()
    damaged = [b"from another jinja2 or Python" + whole[40:]]      # a foreign header
    damaged += [whole[:size] for size in (16, 40, len(whole) - 5)]  # cut short
    for data in damaged:
        file.write_bytes(data)
        assert _env(templates, shipped=str(compiled)).get_template("page.j2").render(x=4) == "4 and more text 4"


def test_compiling_again_replaces_every_compiled_file(tmp_path):
    """`python -m minutes.compiled_templates` after a change leaves exactly the current ones."""
    (tmp_path / "site-0000.cache").write_bytes(b"from an older package")
    count = compile_all(str(tmp_path))
    assert not (tmp_path / "site-0000.cache").exists()
    assert len(list(tmp_path.glob("*.cache"))) == count
