"""Check the collection tarball: only shipped paths, same as from a fresh clone, no dangling references.

    python tools/check_build.py TARBALL [--ansible-galaxy PATH]

1. Every member of TARBALL matches SHIPPED below (what a user of the collection needs); anything
   else (caches, test output, local settings, development tools) fails the check.
2. A fresh copy of the checkout (the files git tracks, as the work tree has them: what a clone
   holds) is built with the same
   ansible-galaxy; its tarball must hold the same files with the same content (sha256), so what
   `make demo` / `make test` leave behind never changes the build.
3. The shipped text (README, guides, role README, plugin docs) has no relative link to a file
   that is not in the tarball, and names no development-only path (tools/, benchmarks/, ...)
   except inside a URL of the source repository.
"""
import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

SHIPPED = re.compile(r"""^(
    MANIFEST\.json | FILES\.json | README\.md | COPYING | CHANGELOG\.rst | requirements\.txt | bindep\.txt
  | meta/[^/]+\.yml
  | plugins/(action|doc_fragments|filter|inventory|lookup|module_utils|modules|plugin_utils|test)/[^/]+\.py
  | plugins/(filter|test)/[^/]+\.yml
  | roles/[a-z_]+/(README\.md|(defaults|meta|tasks|handlers|vars|templates|files)/.+)
  | docs/docsite/(extra-docs\.yml|links\.yml|rst/[a-z_0-9]+\.rst)
  | changelogs/(changelog|config)\.yaml
)$""", re.X)
# Directory entries of the tarball: any parent of a shipped file.
DEV_ONLY = ('tools', 'benchmarks', 'extensions', 'playbooks', 'tests', '.ci')
DEV_PATH = re.compile(r"(?<![\w/.:-])(%s)/[\w./-]*" % '|'.join(re.escape(d) for d in DEV_ONLY))
URL_LINK = re.compile(r"\[[^\]]*\]\(https?://[^)]+\)|`[^`<]*<https?://[^>]+>`__?|https?://\S+")
MD_LINK = re.compile(r"\]\(([^)\s]+)\)")
RST_LINK = re.compile(r"`[^`<]*<([^>`]+)>`__?")


def members(tarball):
    """{name: sha256 or None for a directory} of a tarball."""
    result = {}
    with tarfile.open(tarball) as tar:
        for info in tar.getmembers():
            name = info.name.rstrip('/')
            if info.isdir():
                result[name] = None
            elif info.isfile():
                result[name] = hashlib.sha256(tar.extractfile(info).read()).hexdigest()
            else:
                result[name] = 'link:%s' % info.linkname
    return result


def fresh_copy(repo, dest):
    def names(*options):
        out = subprocess.run(['git', '-C', repo, 'ls-files', '-z'] + list(options), check=True,
                             stdout=subprocess.PIPE).stdout.decode('utf-8', 'surrogateescape')
        return set(n for n in out.split('\0') if n)

    # Tracked files as they are in the work tree: what a clone of this commit (plus its edits) holds.
    for rel in sorted(names('--cached') - names('--deleted')):
        src = os.path.join(repo, rel)
        if os.path.isdir(src) and not os.path.islink(src):
            continue  # a submodule or nested repository: not part of the collection
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(src, target, follow_symlinks=False)


def build(ansible_galaxy, source, output):
    subprocess.run([ansible_galaxy, 'collection', 'build', '--force', '--output-path', output, source],
                   check=True, stdout=subprocess.DEVNULL)
    built = [n for n in os.listdir(output) if n.endswith('.tar.gz')]
    if len(built) != 1:
        raise SystemExit('check_build: expected one tarball in %s, found %s' % (output, built))
    return os.path.join(output, built[0])


def dangling_references(tarball, shipped):
    problems = []
    with tarfile.open(tarball) as tar:
        for name in sorted(n for n, digest in shipped.items() if digest and not digest.startswith('link:')):
            if not name.endswith(('.md', '.rst', '.yml', '.yaml', '.py')) or name in ('MANIFEST.json', 'FILES.json'):
                continue
            text = tar.extractfile(name).read().decode('utf-8')
            base = os.path.dirname(name)
            targets = MD_LINK.findall(text) if name.endswith('.md') else RST_LINK.findall(text)
            for target in targets:
                if re.match(r'^([a-z]+:|#|mailto:)', target):
                    continue
                path = os.path.normpath(os.path.join(base, target.split('#')[0]))
                if path not in shipped:
                    problems.append('%s: links to %s, which is not in the tarball' % (name, target))
            for line_no, line in enumerate(text.splitlines(), 1):
                # A development path is fine as the text of a link into the source repository.
                line = URL_LINK.sub('', line)
                for match in DEV_PATH.finditer(line):
                    problems.append('%s:%d: names %s, which is not shipped (link to the source repository instead)'
                                    % (name, line_no, match.group(0)))
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('tarball')
    parser.add_argument('--ansible-galaxy', default='ansible-galaxy')
    args = parser.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    built = members(args.tarball)
    problems = ['%s: not a shipped path (add it to build_ignore in galaxy.yml, or to SHIPPED in %s)'
                % (name, os.path.relpath(__file__, repo))
                for name, digest in sorted(built.items()) if digest is not None and not SHIPPED.match(name)]

    with tempfile.TemporaryDirectory(prefix='imagecat-build-') as tmp:
        source = os.path.join(tmp, 'ansible_collections', 'imagecat', 'glance')
        os.makedirs(source)
        fresh_copy(repo, source)
        fresh = members(build(args.ansible_galaxy, source, os.path.join(tmp, 'out')))
    for name in sorted(set(built) | set(fresh)):
        if name not in fresh:
            problems.append('%s: in the tarball, but not in one built from a fresh clone (a local file: '
                            'git-ignore it and add it to build_ignore, or git add it)' % name)
        elif name not in built:
            problems.append('%s: in a fresh clone\'s tarball, but not in this one' % name)
        elif built[name] != fresh[name]:
            problems.append('%s: content differs from a fresh clone\'s build' % name)

    problems += dangling_references(args.tarball, built)
    files = sum(1 for digest in built.values() if digest is not None)
    if problems:
        print('\n'.join('check_build: ' + p for p in problems), file=sys.stderr)
        print('check_build: %d problem(s) in %s' % (len(problems), args.tarball), file=sys.stderr)
        return 1
    print('check_build: %s: %d files, %d bytes; equal to a fresh clone\'s build file for file; '
          'no dangling references' % (args.tarball, files, os.path.getsize(args.tarball)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
