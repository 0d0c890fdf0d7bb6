"""Fail when ansible-test ran fewer integration targets than the tree holds.

  integration_ran.py --tree DIR --results DIR --since EPOCH [TARGET_OR_OPTION ...]

ansible-test only warns "All targets skipped" and exits 0 when nothing ran, and a target
that is skipped (an alias, a missing dependency) does not fail the run either. After a run,
ansible-test writes tests/output/data/integration-<time>.json listing the targets it ran to
the end; this script reads the newest one written since EPOCH and compares its targets with
the tree's: every directory of tests/integration/targets except hidden ones (setup_*, or
aliases 'hidden', 'disabled', 'unsupported'). When targets are named on the command line
(the words of INTEGRATION_ARGS that are target names, not option values such as
--exclude NAME), only those are expected; --exclude NAME of a full run fails.
Standard library only; exit status 1 with the missing names when a target did not run.
"""

import argparse
import glob
import json
import os
import sys

SKIPPED_ALIASES = ("hidden", "disabled", "unsupported")
# ansible-test options whose value is a target name, not a target to run.
TARGET_OPTIONS = ("--exclude", "--require", "--start-at")


def tree_targets(targets_dir):
    names = []
    for name in sorted(os.listdir(targets_dir)):
        path = os.path.join(targets_dir, name)
        if not os.path.isdir(path) or name.startswith("setup_"):
            continue
        try:
            with open(os.path.join(path, "aliases")) as handle:
                aliases = handle.read().split()
        except OSError:
            aliases = []
        if not any(alias in SKIPPED_ALIASES for alias in aliases):
            names.append(name)
    return names


def targets_ran(results_dir, since):
    """The targets of the newest results file written since ``since``, or None when there is none."""
    files = [path for path in glob.glob(os.path.join(results_dir, "data", "integration-*.json"))
             if os.path.getmtime(path) >= since]
    if not files:
        return None
    with open(max(files, key=os.path.getmtime)) as handle:
        return sorted((json.load(handle).get("targets") or {}).keys())


def expected_targets(tree, args):
    """The targets named in the arguments, else the whole tree; --exclude NAME does not take NAME out,
    --start-at NAME (a resumed run) expects NAME and the targets after it (ansible-test runs them in order)."""
    args = list(args)
    named = [word for before, word in zip([None] + args, args)
             if word in tree and before not in TARGET_OPTIONS]
    expected = named or tree
    if "--start-at" in args[:-1]:
        start = args[args.index("--start-at") + 1]
        expected = [name for name in expected if name >= start]
    return expected


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", required=True, help="tests/integration/targets of the checkout")
    parser.add_argument("--results", required=True, help="ansible-test's tests/output directory")
    parser.add_argument("--since", required=True, type=float, help="when the run started (epoch seconds)")
    parser.add_argument("args", nargs="*", help="the run's INTEGRATION_ARGS")
    options = parser.parse_args(argv)
    expected = expected_targets(tree_targets(options.tree), options.args)
    ran = targets_ran(options.results, options.since)
    if ran is None:
        print("integration_ran: ansible-test wrote no results since the run started; 0 of %d targets ran."
              % len(expected), file=sys.stderr)
        return 1
    missing = [name for name in expected if name not in ran]
    if missing:
        print("integration_ran: %d of %d integration targets ran; missing: %s."
              % (len(expected) - len(missing), len(expected), ", ".join(missing)), file=sys.stderr)
        return 1
    print("integration_ran: %d of %d integration targets ran." % (len(expected), len(expected)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
