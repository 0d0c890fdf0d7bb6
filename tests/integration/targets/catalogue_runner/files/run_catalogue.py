"""Run the catalogue role the way AWX runs a job: ansible-runner's Python API, private data dir.

    run_catalogue.py WORK_DIR CLOUDS_YAML COLLECTIONS_PATH NAME TAG FILE [--check]

Writes a project (a playbook applying imagecat.glance.catalogue with one image whose data is
FILE) into WORK_DIR/private, runs it with ansible_runner.run(), and prints one JSON object:
the job's status and rc, the stats, and the ok event of the role's apply task, or of its plan
task when nothing was to be written (changed, plan, writes).
"""
import json
import os
import sys

import ansible_runner

PLAYBOOK = """\
- name: Apply the image catalogue
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: imagecat.glance.catalogue
      vars:
        imagecat_catalogue_cloud: demo
        imagecat_catalogue_managed_tag: {tag}
        imagecat_catalogue_prune: delete
        imagecat_catalogue_images:
          - name: {name}
            disk_format: raw
            container_format: bare
            versions:
              - version: "1"
                filename: {filename}
"""


def main(work, clouds_yaml, collections_path, name, tag, filename):
    private = os.path.join(work, 'private')
    os.makedirs(os.path.join(private, 'project'), exist_ok=True)
    with open(os.path.join(private, 'project', 'catalogue.yml'), 'w', encoding='utf-8') as handle:
        handle.write(PLAYBOOK.format(name=json.dumps(name), tag=json.dumps(tag), filename=json.dumps(filename)))
    with open(os.path.join(private, 'inventory'), 'w', encoding='utf-8') as handle:
        handle.write('localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
    events = []
    runner = ansible_runner.run(
        private_data_dir=private,
        playbook='catalogue.yml',
        inventory=os.path.join(private, 'inventory'),
        envvars={
            # What a credential type injects in AWX, and the EE's collections.
            'OS_CLIENT_CONFIG_FILE': clouds_yaml,
            'ANSIBLE_COLLECTIONS_PATH': collections_path,
            'PATH': os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''),
        },
        event_handler=lambda event: events.append(event) or True,
        quiet=True,
        rotate_artifacts=1,
    )

    def ok_events(task):
        return [e['event_data'] for e in events
                if e.get('event') == 'runner_on_ok' and e.get('event_data', {}).get('task') == task]
    # The role plans first (check mode) and applies only when the plan has writes.
    plan_ok = ok_events('Plan the catalogue (no write)')
    apply_ok = ok_events('Apply the catalogue')
    result = (apply_ok or plan_ok or [{'res': {}}])[0]['res']
    print(json.dumps({
        'status': runner.status,
        'rc': runner.rc,
        'stats': runner.stats,
        'event_types': sorted(set(e.get('event') for e in events if e.get('event'))),
        'failed_events': [e['event_data'].get('task') for e in events if e.get('event') == 'runner_on_failed'],
        'plan_events': len(plan_ok),
        'apply_events': len(apply_ok),
        'changed': result.get('changed'),
        'plan': [step.get('action') for step in result.get('plan') or []],
        'writes': sum(n for method, n in (result.get('api_requests') or {}).items() if method != 'GET'),
    }))
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
