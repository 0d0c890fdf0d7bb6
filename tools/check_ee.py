"""Check the execution environment: ansible-builder accepts the definition and finds the collection's needs.

    python tools/check_ee.py TARBALL WORK_DIR

1. `ansible-builder create -f execution-environment.yml` writes a build context (no container
   engine needed) whose galaxy requirements install imagecat.glance.
2. The collection from TARBALL, installed under WORK_DIR, is introspected with the script that
   ansible-builder runs inside the image build: its Python requirements must be requirements.txt
   minus ansible-core (the EE's base provides that), read from meta/execution-environment.yml.
3. The AWX guide shows the definition exactly as the file holds it.
"""
import os
import re
import subprocess
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def requirement_names(lines):
    return sorted(re.split(r'[<>=!~;\s\[]', line.strip(), maxsplit=1)[0].lower()
                  for line in lines if line.strip() and not line.strip().startswith('#'))


def main(tarball, work):
    problems = []
    context = os.path.join(work, 'context')
    subprocess.run([os.path.join(BIN, 'ansible-builder'), 'create', '-f', os.path.join(REPO, 'execution-environment.yml'),
                    '--context', context], check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(context, '_build', 'requirements.yml'), encoding='utf-8') as handle:
        galaxy = yaml.safe_load(handle)
    if 'imagecat.glance' not in [c.get('name') for c in galaxy.get('collections') or []]:
        problems.append('the build context does not install imagecat.glance: %s' % galaxy)

    collections = os.path.join(work, 'collections')
    subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--force', '-p', collections, tarball],
                   check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections))
    installed = os.path.join(collections, 'ansible_collections', 'imagecat', 'glance')
    if not os.path.isfile(os.path.join(installed, 'meta', 'execution-environment.yml')):
        problems.append('the tarball has no meta/execution-environment.yml')
    out = subprocess.run([sys.executable, os.path.join(context, '_build', 'scripts', 'introspect.py'), 'introspect',
                          collections], check=True, stdout=subprocess.PIPE).stdout
    found = yaml.safe_load(out)
    with open(os.path.join(REPO, 'requirements.txt'), encoding='utf-8') as handle:
        wanted = [n for n in requirement_names(handle) if n != 'ansible-core']
    got = requirement_names(line.split('#')[0] for line in found.get('python') or [])
    if got != wanted:
        problems.append('ansible-builder finds the Python requirements %s, requirements.txt says %s' % (got, wanted))
    if found.get('system'):
        problems.append('unexpected system requirements: %s' % found['system'])

    with open(os.path.join(REPO, 'execution-environment.yml'), encoding='utf-8') as handle:
        definition = handle.read()
    with open(os.path.join(REPO, 'docs', 'docsite', 'rst', 'guide_awx.rst'), encoding='utf-8') as handle:
        guide = handle.read()
    indented = '\n'.join(('    ' + line) if line.strip() else '' for line in definition.splitlines())
    if indented not in guide:
        problems.append('docs/docsite/rst/guide_awx.rst does not show execution-environment.yml as it is')

    if problems:
        print('\n'.join('check_ee: ' + p for p in problems), file=sys.stderr)
        return 1
    print('check_ee: ansible-builder create accepted execution-environment.yml; introspection of the built '
          'collection finds %s; the AWX guide shows the definition' % ', '.join(got))
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
