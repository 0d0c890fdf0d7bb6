#!/usr/bin/env bash
# Run ansible-test for the imagecat.glance collection from this checkout, offline.
#
#   tools/ansible_test.sh sanity --venv --python 3.11          # recommended sanity run
#   tools/ansible_test.sh units --venv --python 3.11
#   tools/ansible_test.sh integration --venv --python 3.11 TARGET
#
# Environment:
#   IMAGECAT_REPO  checkout to test (default: the repository holding this script)
#   ANSIBLE_TEST   ansible-test executable (default: <repo>/.venv/bin/ansible-test,
#                  else the .venv of the repository holding this script)
#
# What it does, and why:
#
# 1. ansible-test only works from a directory whose path ends in
#    ansible_collections/<namespace>/<name>.  This script keeps a COPY of the
#    checkout at <repo>/.cache/ansible_collections/imagecat/glance (.cache/ is
#    git-ignored) and runs ansible-test there.  A symlink to the checkout does
#    not work: the kernel resolves the symlink in the working directory, so
#    os.getcwd() (ansible_test/_internal/data.py:66) is the checkout's real path
#    and ansible-test refuses to run.  Forcing ANSIBLE_TEST_CONTENT_ROOT
#    (data.py:65) onto the symlink gets past that, but `--venv` re-executes
#    ansible-test with ANSIBLE_TEST_CONTENT_ROOT=os.getcwd() (delegation.py:140,
#    :155, :293; host_profiles.py:1437) and fails the same way.
#
# 2. The copy holds exactly what ansible-test would test in the checkout: the
#    files listed by `git ls-files --cached --others --exclude-standard` minus
#    `--deleted` (the same list ansible-test's GitSource builds,
#    provider/source/git.py:64-66), so new untracked files ARE tested and
#    git-ignored ones (.venv, tests/output, ...) are not.  Exception: local
#    integration settings that ansible-test opens by path even when git-ignored
#    (tests/integration/integration_config.yml, inventory*, cloud-config-*,
#    *.cfg) are copied too, and stay git-ignored in the copy.
#
# 3. The copy gets its own, empty `git init`.  Without it ansible-test walks up
#    from the copy (data.py:146, provider/__init__.py:33-46), finds the
#    checkout's .git, asks git for the files under .cache/ (all git-ignored) and
#    gets none: every sanity test is skipped ("WARNING: All targets skipped.")
#    and the run "passes".  With a .git in the copy, all copied files are
#    "untracked", which --others lists; tests/output/ is excluded there too.
#    (Consequence: `--changed` and other git-history features do not work.)
#
# 4. Results (tests/output/) are written inside the copy, i.e. under
#    <repo>/.cache/ansible_collections/imagecat/glance/tests/output/: git-ignored,
#    never copied back, and never scanned by sanity (excluded from the file list
#    in both the checkout and the copy).  They are kept between runs, which keeps
#    the `--venv` environment (tests/output/.tmp/delegation/python3.11,
#    venv.py:53) warm.
#
# 5. ansible-test creates its virtual environments without pip and bootstraps
#    pip with get-pip.py downloaded from ci-files.testing.ansible.com
#    (unreachable here) unless ~/.ansible/test/cache/get_pip_<X_Y>.py exists
#    (_util/target/setup/requirements.py:74-103).  We install
#    tools/get_pip_standin.py under that name for the pip version(s) pinned in
#    ansible-test's get_venv_packages() (python_requirements.py:435-437: 24.2
#    for ansible-core 2.19 -> get_pip_24_2.py).  This is needed in EVERY mode,
#    not only with --venv: single-version sanity tests (pylint, pep8,
#    validate-modules, ...) always run in their own cached virtual environments
#    under ~/.ansible/test/venv/sanity.<test>/ (commands/sanity/__init__.py:265,
#    :1203-1269).
#
# --venv or --requirements for sanity?  Use `sanity --venv --python 3.11`.
#   * The per-test sanity environments, and all the package installs they need,
#     are the same in both modes (see 5.), so cold and warm costs are the same.
#   * `--requirements` (or no option, or --local) runs ansible-test itself in
#     the project venv; for sanity it installs nothing there
#     (commands/sanity/__init__.py:182 -> collect_requirements() is empty), so
#     it buys nothing, while the run still depends on the project venv.
#     (`units`/`integration --requirements` DO pip-install into the project venv.)
#   * `--venv` re-executes ansible-test in its own venv (see 4.) so the project
#     venv cannot influence the result.  It costs ~8 s (venv + pip 24.2 from
#     PyPI) on the first run of a fresh copy, nothing after.
#   Measured on a one-module collection, Python 3.11.7, ansible-core 2.19.14:
#     cold (rm -rf ~/.ansible/test and .cache):  --venv 91-96 s, --requirements 87 s
#     warm:                                      --venv 6.5-9 s, --requirements 6 s
#
# units:       use `units --venv --python 3.11`.  With no option / --local the
#              project venv's pytest is used, and it lacks pytest-xdist
#              ("pytest: error: unrecognized arguments: -n").  --venv installs
#              units.txt + tests/unit/requirements.txt into the --venv venv.
# integration: `integration --venv --python 3.11` (installs ansible's own
#              requirements plus tests/integration/requirements.txt into the venv)
#              or with no option (uses the project venv as controller and target).
#              Only PATH, HOME, LC_ALL and a few others reach ansible-playbook
#              (util.py:696-737): OS_CLIENT_CONFIG_FILE etc. are NOT passed.
#              Pass settings through tests/integration/integration_config.yml
#              (loaded as vars_files of the generated play, or use
#              -e @../../integration_config.yml in runme.sh targets),
#              `env/set/NAME/VALUE` aliases, or ~/.config/openstack/clouds.yaml.
# Only --docker/--remote are out of reach (no Docker engine; no ansible-core-ci).
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
script_repo=$(dirname "$script_dir")
repo=$(cd "${IMAGECAT_REPO:-$script_repo}" && pwd -P)

namespace=imagecat
name=glance
cache_root="$repo/.cache"
tree="$cache_root/ansible_collections/$namespace/$name"

if [[ -n "${ANSIBLE_TEST:-}" ]]; then
    ansible_test=$ANSIBLE_TEST
elif [[ -x "$repo/.venv/bin/ansible-test" ]]; then
    ansible_test="$repo/.venv/bin/ansible-test"
else
    ansible_test="$script_repo/.venv/bin/ansible-test"
fi

if ! command -v "$ansible_test" >/dev/null 2>&1; then
    echo "ansible_test.sh: ansible-test not found: $ansible_test (set ANSIBLE_TEST)" >&2
    exit 2
fi
ansible_test=$(command -v "$ansible_test")

if [[ ! -f "$repo/galaxy.yml" ]]; then
    echo "ansible_test.sh: $repo has no galaxy.yml; not a collection checkout" >&2
    exit 2
fi

log() { echo "ansible_test.sh: $*" >&2; }

# ---------------------------------------------------------------------------
# get-pip stand-in
# ---------------------------------------------------------------------------
install_get_pip_standin() {
    local standin="$script_dir/get_pip_standin.py"
    local cache_dir="$HOME/.ansible/test/cache"
    local interpreter versions version target

    # The Python that runs ansible-test: the shebang of its entry point.
    interpreter=$(sed -n '1s/^#![[:space:]]*//p' "$ansible_test")
    # Ask that Python which pip version(s) its ansible-test pins for venvs.
    # shellcheck disable=SC2086  # the shebang may be "/usr/bin/env python3"
    versions=$(${interpreter:-python3} - <<'EOF' 2>/dev/null || true
import os
import re
import ansible_test

path = os.path.join(os.path.dirname(ansible_test.__file__), '_internal', 'python_requirements.py')
with open(path, encoding='utf-8') as source:
    text = source.read()
body = text[text.index('def get_venv_packages('):]
body = body[:body.index('\ndef ', 1)]
print('\n'.join(sorted(set(re.findall(r"""\bpip\s*=\s*['"]([0-9][0-9.]*)['"]""", body)))))
EOF
)
    if [[ -z "$versions" ]]; then
        log "could not read ansible-test's pinned pip version; assuming 24.2 (ansible-core 2.19)"
        versions=24.2
    fi

    mkdir -p "$cache_dir"
    for version in $versions; do
        target="$cache_dir/get_pip_${version//./_}.py"
        if ! cmp -s "$standin" "$target"; then
            cp "$standin" "$target.tmp.$$"
            mv -f "$target.tmp.$$" "$target"
            log "installed get-pip stand-in: $target"
        fi
    done
}

# ---------------------------------------------------------------------------
# collection tree
# ---------------------------------------------------------------------------
list_files() {
    # NUL-separated relative paths of the files to copy on stdout; the copy's
    # git exclude patterns in the file $exclude.
    local exclude=$1
    if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        # Same as ansible-test's GitSource: tracked + untracked - ignored - deleted
        # (paths are relative to $repo even if it is a subdirectory of the work tree).
        python3 - "$repo" "$exclude" <<'EOF'
import glob
import os
import subprocess
import sys

repo = sys.argv[1]

def names(*options):
    out = subprocess.run(['git', '-C', repo, 'ls-files', '-z'] + list(options),
                         check=True, stdout=subprocess.PIPE).stdout
    return set(name for name in out.decode('utf-8', 'surrogateescape').split('\0') if name)

paths = names('--cached', '--others', '--exclude-standard') - names('--deleted')

# Local test configuration that ansible-test reads by path, not from its file list,
# so it is used even when git-ignored (e.g. credentials): copy it along.
# They stay invisible to sanity in the copy too (see the exclude file below).
extras = set()
for pattern in ('integration_config.yml', 'inventory*', 'cloud-config-*', '*.cfg'):
    for path in glob.glob(os.path.join(repo, 'tests', 'integration', pattern)):
        if os.path.isfile(path):
            extras.add(os.path.relpath(path, repo))
hidden = extras - paths
paths |= extras
with open(sys.argv[2], 'w', encoding='utf-8') as exclude:
    exclude.write('/tests/output/\n')
    exclude.write(''.join('/%s\n' % glob.escape(path) for path in sorted(hidden)))

paths = [p for p in paths if not p.startswith(('tests/output/', '.cache/', '.git/')) and p != '.git']
sys.stdout.buffer.write(b''.join(p.encode('utf-8', 'surrogateescape') + b'\0' for p in sorted(paths)))
EOF
    else
        # Not a git checkout (e.g. an unpacked tarball): everything but local state.
        printf '/tests/output/\n' >"$exclude"
        (cd "$repo" && find . \
            \( -path ./.git -o -path ./.venv -o -path ./.cache -o -path ./.local_cloud \
               -o -path ./tests/output -o -name __pycache__ -o -name .pytest_cache \) -prune \
            -o \( -type f -o -type l \) -printf '%P\0')
    fi
}

sync_tree() {
    local list="$cache_root/ansible_test.files"
    local exclude="$cache_root/ansible_test.exclude"

    list_files "$exclude" >"$list"

    mkdir -p "$tree"

    # Remove files that are gone from the checkout (keep tests/output and .git).
    python3 - "$tree" "$list" <<'EOF'
import os
import sys

tree, list_path = sys.argv[1], sys.argv[2]
with open(list_path, 'rb') as handle:
    wanted = set(name.decode('utf-8', 'surrogateescape') for name in handle.read().split(b'\0') if name)

keep = ('.git', os.path.join('tests', 'output'))
for root, dirs, files in os.walk(tree, topdown=True):
    rel_root = os.path.relpath(root, tree)
    rel_root = '' if rel_root == '.' else rel_root
    dirs[:] = [d for d in dirs if os.path.join(rel_root, d) not in keep]
    for entry in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
        rel = os.path.join(rel_root, entry)
        if rel not in wanted:
            os.unlink(os.path.join(root, entry))
for root, dirs, files in os.walk(tree, topdown=False):
    rel_root = os.path.relpath(root, tree)
    if rel_root == '.' or rel_root.split(os.sep)[0] == '.git' or (rel_root + os.sep).startswith(os.path.join('tests', 'output', '')):
        continue
    if not os.listdir(root):
        os.rmdir(root)
EOF

    # Copy the current content (a few MB at most; rsync is not installed here).
    if [[ -s "$list" ]]; then
        tar -C "$repo" --null --no-recursion -T "$list" -cf - | tar -C "$tree" -xf -
    fi

    # A repository of its own, so ansible-test lists the copy's files instead of
    # walking up to the checkout's .git (see 3. above).  Nothing is committed:
    # every file is "untracked", which ansible-test includes.
    if [[ ! -d "$tree/.git" ]]; then
        git -C "$tree" init -q
    fi
    mkdir -p "$tree/.git/info"
    cp "$exclude" "$tree/.git/info/exclude"
}

# ---------------------------------------------------------------------------
mkdir -p "$cache_root"

# One run at a time per checkout: a second run would rewrite the tree under the first.
exec {lock_fd}>"$cache_root/ansible_test.lock"
if ! flock -n "$lock_fd"; then
    log "waiting for another ansible_test.sh run on $repo ..."
    flock "$lock_fd"
fi

install_get_pip_standin
sync_tree

log "running in $tree (results: $tree/tests/output/)"
cd "$tree"
# The lock stays held (inherited descriptor) until ansible-test exits.
exec "$ansible_test" "$@"
