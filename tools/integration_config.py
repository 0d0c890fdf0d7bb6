"""Write tests/integration/integration_config.yml from the local cloud's cloud.json.

ansible-test hands this file to every integration target as variables, so the
targets know where the cloud is without hard-coded ports or paths.
usage: integration_config.py <cloud.json> <integration_config.yml>
"""

import json
import os
import sys


def main(source, target):
    with open(source) as handle:
        facts = json.load(handle)
    cloud_py = os.path.join(os.path.dirname(os.path.abspath(__file__)), "local_cloud", "cloud.py")
    config = {
        "glance_clouds_yaml": facts["clouds_yaml"],
        "glance_endpoint": facts["glance_url"].rstrip("/"),
        "keystone_url": facts["keystone_url"].rstrip("/"),
        "glance_project_ids": facts["project_ids"],
        # For targets that stop and start the cloud (image_interrupted).
        "local_cloud_command": "%s %s" % (sys.executable, cloud_py),
        "local_cloud_dir": facts["cloud_dir"],
        "local_cloud_facts": os.path.abspath(source),
    }
    with open(target, "w") as handle:
        handle.write("# Written by tools/integration_config.py from %s; do not edit.\n" % source)
        # JSON is valid YAML and needs no third-party library here.
        json.dump(config, handle, indent=2, sort_keys=True)
        handle.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
