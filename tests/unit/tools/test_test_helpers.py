"""The test-side helpers in tools/: integration_ran.py and glance_requests.py."""

import importlib.util
import json
import os

import pytest

TOOLS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools")


def load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(TOOLS, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


integration_ran = load("integration_ran")
glance_requests = load("glance_requests")


@pytest.fixture
def tree(tmp_path):
    targets = tmp_path / "targets"
    for name, aliases in (("alpha", "context/controller"), ("beta", "context/controller"), ("gamma", "disabled"),
                          ("setup_x", "hidden"), ("delta", "destructive")):
        (targets / name).mkdir(parents=True)
        (targets / name / "aliases").write_text(aliases + "\n")
    return targets


def results(tmp_path, names):
    data = tmp_path / "output" / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "integration-1.json").write_text(json.dumps({"targets": {name: {} for name in names}}))
    return str(tmp_path / "output")


def run(tree, output, *args):
    return integration_ran.main(["--tree", str(tree), "--results", output, "--since", "0", "--"] + list(args))


def test_the_tree_holds_every_target_that_is_not_hidden_or_disabled(tree):
    assert integration_ran.tree_targets(str(tree)) == ["alpha", "beta", "delta"]


def test_a_run_of_every_target_passes_and_one_with_a_skipped_target_fails(tree, tmp_path, capsys):
    assert run(tree, results(tmp_path, ["alpha", "beta", "delta"])) == 0
    assert run(tree, results(tmp_path, ["alpha", "beta"])) == 1  # delta skipped (destructive)
    assert "2 of 3 integration targets ran; missing: delta." in capsys.readouterr().err


def test_no_results_since_the_start_is_zero_targets(tree, tmp_path, capsys):
    output = results(tmp_path, ["alpha"])
    assert integration_ran.main(["--tree", str(tree), "--results", output, "--since", "9999999999"]) == 1
    assert "0 of 3 targets ran" in capsys.readouterr().err


def test_named_targets_excluded_ones_and_resumed_runs(tree, tmp_path):
    output = results(tmp_path, ["beta"])
    assert run(tree, output, "-v", "beta") == 0
    assert run(tree, output, "--exclude", "alpha") == 1  # the whole tree is expected
    assert integration_ran.expected_targets(["alpha", "beta", "delta"], ["--start-at", "beta"]) == ["beta", "delta"]


LOG = """*** Starting uWSGI 2.0.31 (64bit) on [Tue Dec  1 07:12:32 2026] ***
[pid: 14746|app: 0|req: 2/2] 127.0.0.1 () {34 vars in 584 bytes} [Tue Dec  1 07:12:47 2026] GET /v2/images => \
generated 69 bytes in 500 msecs (HTTP/1.1 200) 3 headers in 137 bytes (1 switches on core 0)
[pid: 14746|app: 0|req: 3/3] 127.0.0.1 () {36 vars in 700 bytes} [Tue Dec  1 07:12:48 2026] POST /v2/images => \
generated 900 bytes in 80 msecs (HTTP/1.1 201) 4 headers in 150 bytes (1 switches on core 1)
2026-12-01 07:12:48.100 14746 INFO glance.api.v2.images [-] PUT /v2/images/x/file is not a request line
[pid: 14747|app: 0|req: 1/4] 127.0.0.1 () {38 vars in 720 bytes} [Tue Dec  1 07:12:49 2026] PUT /v2/images/x/file => \
generated 0 bytes in 300 msecs (HTTP/1.1 204) 2 headers in 80 bytes (1 switches on core 0)
"""


def test_request_lines_are_counted_between_two_marks(tmp_path):
    log = tmp_path / "glance.log"
    log.write_text("")
    start = glance_requests.mark(str(log))
    log.write_text(LOG)
    counts = glance_requests.count(str(log), start)
    assert (counts["GET"], counts["POST"], counts["PUT"], counts["writes"]) == (1, 1, 1, 2)
    assert counts["requests"] == ["POST /v2/images 201", "PUT /v2/images/x/file 204"]
    assert glance_requests.count(str(log), glance_requests.mark(str(log)))["writes"] == 0


def test_a_rotated_log_cannot_be_counted(tmp_path):
    log = tmp_path / "glance.log"
    log.write_text(LOG)
    start = glance_requests.mark(str(log))
    os.replace(str(log), str(tmp_path / "glance.log.1"))
    log.write_text(LOG)
    with pytest.raises(SystemExit, match="another file than at the mark"):
        glance_requests.count(str(log), start)
