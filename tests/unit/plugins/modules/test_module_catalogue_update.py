"""imagecat.glance.catalogue_update (CatalogueUpdateModule): the task result over a real file, upstream
answered by the fake fetch of the planner's own tests; no connection to Glance at all."""

from test_catalogue_update import CATALOGUE, DIGEST, catalogue  # noqa: F401  pylint: disable=unused-import

from ansible_collections.imagecat.glance.plugins.modules.catalogue_update import CatalogueUpdateModule


def run(path, **kwargs):
    return CatalogueUpdateModule.run_in_controller("catalogue_update", {"path": [str(path)]}, **kwargs)


def test_a_new_build_is_appended_then_the_file_is_current(catalogue):  # noqa: F811
    result = run(catalogue, diff=True)
    assert result["changed"] is True and result["current"] == []
    assert [(u["entry"], u["version"], u["checksum"]) for u in result["updates"]] == [
        ("debian-13", "20261201", "sha512:" + DIGEST)]
    assert result["diff"][0]["before"] == CATALOGUE and result["diff"][0]["after"] == catalogue.read_text()
    assert "sha512:" + DIGEST in catalogue.read_text()

    again = run(catalogue, diff=True)
    assert again["changed"] is False and again["updates"] == [] and again["current"] == ["debian-13"]
    assert "diff" not in again


def test_check_mode_reports_the_update_and_writes_nothing(catalogue):  # noqa: F811
    result = run(catalogue, check_mode=True, diff=True)
    assert result["changed"] is True and result["updates"][0]["version"] == "20261201"
    assert "sha512:" + DIGEST in result["diff"][0]["after"]
    assert catalogue.read_text() == CATALOGUE


def test_no_diff_without_diff_mode(catalogue):  # noqa: F811
    assert "diff" not in run(catalogue)


def test_errors_are_task_failures_that_name_the_option(catalogue, tmp_path):  # noqa: F811
    missing = run(tmp_path / "nope.yml")
    assert missing["failed"] is True and "path: %s does not exist" % (tmp_path / "nope.yml") in missing["msg"]
    wrong = CatalogueUpdateModule.run_in_controller("catalogue_update", {"path": [str(catalogue)],
                                                                         "entries": ["local-only"]})
    assert wrong["failed"] is True
    assert "entries: no entry with an upstream block is named local-only" in wrong["msg"]
    assert catalogue.read_text() == CATALOGUE


def test_it_takes_no_connection_options(catalogue):  # noqa: F811
    result = CatalogueUpdateModule.run_in_controller("catalogue_update", {"path": [str(catalogue)], "cloud": "x"})
    assert result["failed"] is True and "cloud" in result["msg"]
