"""Fail when Ansible's own YAML loader warns about a playbook or task file (duplicate keys and the like).

    python tools/check_yaml_warnings.py DIR...

ansible-core 2.19 warns "Found duplicate mapping key" also for a key given again after a merge key
(<<: *anchor); ansible-lint does not report that. Every *.yml under the directories is loaded
with Ansible's DataLoader and every warning it prints is a failure.
"""
import glob
import os
import sys

from ansible.parsing.dataloader import DataLoader
from ansible.utils.display import Display


def main(directories):
    warnings = []
    Display.warning = lambda self, msg, *args, **kwargs: warnings.append(str(msg))
    problems, count = [], 0
    for directory in directories:
        for path in sorted(glob.glob(os.path.join(directory, '**', '*.yml'), recursive=True)):
            before = len(warnings)
            DataLoader().load_from_file(path)
            count += 1
            problems += ['%s: %s' % (path, message) for message in warnings[before:]]
    if problems:
        print('\n'.join('check_yaml_warnings: ' + p for p in problems), file=sys.stderr)
        return 1
    print('check_yaml_warnings: %d YAML files load without a warning' % count)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
