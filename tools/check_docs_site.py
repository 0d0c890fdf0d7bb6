"""Open the built docs site in headless Chromium and check that every plugin and guide is there.

    python tools/check_docs_site.py HTML_DIR [--chromium chromium] [--screenshot PNG] [--ansible-doc PATH]

For every module, plugin and role of the collection (found in plugins/ and roles/, not in the
site) the page rendered by Chromium must name it and hold an options table with a row for each
option that ansible-doc documents; for every guide in docs/docsite/extra-docs.yml the page must
show the guide's title. --screenshot saves a picture of the image module's page.
"""
import argparse
import concurrent.futures
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTION = 'imagecat.glance'
PLUGIN_DIRS = {'modules': 'module', 'lookup': 'lookup', 'inventory': 'inventory', 'filter': 'filter', 'test': 'test'}
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run']


def chromium(binary, *args, timeout=120):
    with tempfile.TemporaryDirectory(prefix='imagecat-chromium-') as profile:
        result = subprocess.run([binary] + FLAGS + ['--user-data-dir=%s' % profile] + list(args),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, check=False)
    if result.returncode != 0:
        raise SystemExit('check_docs_site: chromium failed (%d): %s'
                         % (result.returncode, result.stderr.decode('utf-8', 'replace')[-2000:]))
    return result.stdout.decode('utf-8', 'replace')


def plugins():
    """[(type, name)] of the collection's plugins and roles, from the source tree."""
    found = []
    for directory, plugin_type in PLUGIN_DIRS.items():
        # Filters and tests are documented by name in YAML files (one .py may hold several).
        pattern = '*.yml' if plugin_type in ('filter', 'test') else '*.py'
        for path in sorted(glob.glob(os.path.join(REPO, 'plugins', directory, pattern))):
            name = os.path.splitext(os.path.basename(path))[0]
            if not name.startswith('_') and name != '__init__':
                found.append((plugin_type, name))
    for path in sorted(glob.glob(os.path.join(REPO, 'roles', '*', 'meta', 'argument_specs.yml'))):
        found.append(('role', path.split(os.sep)[-3]))
    return found


def documented_options(ansible_doc, plugin_type, names):
    """{name: [option names]} as ansible-doc reports them (for a role: of its main entry point)."""
    if not names:
        return {}
    fqcns = ['%s.%s' % (COLLECTION, name) for name in names]
    out = subprocess.run([ansible_doc, '--json', '-t', plugin_type] + fqcns, check=True,
                         stdout=subprocess.PIPE).stdout
    docs = json.loads(out)
    result = {}
    for fqcn, doc in docs.items():
        name = fqcn.rsplit('.', 1)[1]
        if plugin_type == 'role':
            options = doc['entry_points']['main'].get('options') or {}
        else:
            options = (doc.get('doc') or {}).get('options') or {}
        result[name] = sorted(options)
    return result


def guides():
    with open(os.path.join(REPO, 'docs', 'docsite', 'extra-docs.yml'), encoding='utf-8') as handle:
        sections = yaml.safe_load(handle)['sections']
    result = []
    for section in sections:
        for name in section['toctree']:
            with open(os.path.join(REPO, 'docs', 'docsite', 'rst', name + '.rst'), encoding='utf-8') as handle:
                lines = [line.rstrip() for line in handle]
            title = next(lines[i - 1] for i in range(1, len(lines))
                         if lines[i] and set(lines[i]) == {'='} and lines[i - 1] and not lines[i - 1].startswith('..'))
            result.append((name, title))
    return result


def text_of(dom):
    # Sphinx writes typographic apostrophes (smartquotes); the titles in the sources have plain ones.
    text = re.sub(r'\s+', ' ', re.sub(r'<[^>]+>', ' ', dom))
    return text.replace('&amp;', '&').replace('&#39;', "'").replace('\u2019', "'").replace('&#8217;', "'")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('html_dir')
    parser.add_argument('--chromium', default='chromium')
    parser.add_argument('--screenshot')
    parser.add_argument('--ansible-doc', default='ansible-doc')
    args = parser.parse_args()
    base = os.path.join(os.path.abspath(args.html_dir), 'collections', 'imagecat', 'glance')

    problems, jobs = [], []
    found = plugins()
    for plugin_type in sorted(set(t for t, dummy in found)):
        names = [n for t, n in found if t == plugin_type]
        for name, options in sorted(documented_options(args.ansible_doc, plugin_type, names).items()):
            jobs.append(('plugin', plugin_type, name, os.path.join(base, '%s_%s.html' % (name, plugin_type)), options))
    for name, title in guides():
        jobs.append(('guide', 'guide', name, os.path.join(base, 'docsite', name + '.html'), title))

    def render(job):
        return chromium(args.chromium, '--dump-dom', 'file://' + job[3]) if os.path.isfile(job[3]) else None

    # A few browsers at once: each start costs more than the page.
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        doms = list(pool.map(render, jobs))
    pages = sum(1 for dom in doms if dom is not None)
    for (kind, plugin_type, name, page, expected), dom in zip(jobs, doms):
        if dom is None:
            problems.append('%s %s: no page %s' % (plugin_type, name, page))
        elif kind == 'guide':
            if expected not in text_of(dom):
                problems.append('guide %s: the page does not show its title %r' % (name, expected))
            else:
                print('check_docs_site: guide %s: "%s"' % (name, expected))
        else:
            if '%s.%s' % (COLLECTION, name) not in text_of(dom):
                problems.append('%s %s: the page does not name %s.%s' % (plugin_type, name, COLLECTION, name))
            if 'ansible-option-table' not in dom:
                problems.append('%s %s: the page has no options table' % (plugin_type, name))
            prefix = 'parameter-main--' if plugin_type == 'role' else 'parameter-'
            missing = [o for o in expected if 'id="%s%s"' % (prefix, o) not in dom]
            if missing:
                problems.append('%s %s: options table lacks %s' % (plugin_type, name, ', '.join(missing)))
            print('check_docs_site: %s %s: %d options shown' % (plugin_type, name, len(expected) - len(missing)))
    if args.screenshot:
        chromium(args.chromium, '--hide-scrollbars', '--window-size=1280,1400',
                 '--screenshot=%s' % os.path.abspath(args.screenshot), 'file://' + os.path.join(base, 'image_module.html'))
        with open(args.screenshot, 'rb') as handle:
            picture = handle.read()
        if picture[:8] != b'\x89PNG\r\n\x1a\n':
            problems.append('screenshot %s is not a PNG' % args.screenshot)
        elif len(picture) < 20000:  # an empty white page compresses to about 6 kB
            problems.append('screenshot %s looks blank (%d bytes)' % (args.screenshot, len(picture)))
    if problems:
        print('\n'.join('check_docs_site: ' + p for p in problems), file=sys.stderr)
        return 1
    print('check_docs_site: %d pages opened in Chromium, all present with their content' % pages)
    return 0


if __name__ == '__main__':
    sys.exit(main())
