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
    tools = os.path.dirname(os.path.abspath(__file__))
    cloud_py = os.path.join(tools, "local_cloud", "cloud.py")
    instances = facts.get("glance_instances") or {}
    # The Glance of another region (glance-download source, home of the unwritable store).
    remote = [g for g in instances.values() if g.get("region") != facts.get("region_name")]
    config = {
        "glance_clouds_yaml": facts["clouds_yaml"],
        "glance_endpoint": facts["glance_url"].rstrip("/"),
        "keystone_url": facts["keystone_url"].rstrip("/"),
        "glance_project_ids": facts["project_ids"],
        # For targets that stop and start the cloud (image_interrupted).
        "local_cloud_command": "%s %s" % (sys.executable, cloud_py),
        "local_cloud_dir": facts["cloud_dir"],
        # Optional fronts (TLS, short-lived tokens) for the targets that need them.
        "local_cloud_fronts_command": "%s %s" % (sys.executable, os.path.join(tools, "local_cloud", "fronts.py")),
        "local_cloud_facts": os.path.abspath(source),
        # For targets that serve files over loopback HTTP (web-download imports).
        "serve_files_command": "%s %s" % (sys.executable, os.path.join(tools, "serve_files.py")),
        # For the faults target: a loopback proxy that injects faults in front of Glance.
        "fault_proxy_command": "%s %s" % (sys.executable, os.path.join(tools, "fault_proxy.py")),
        "glance_region": facts.get("region_name"),
        # Counts the requests the region's Glance logged between two marks (its own uwsgi log), to
        # cross-check the zero-write claims of the targets.
        "glance_requests_command": "%s %s --log %s" % (
            sys.executable, os.path.join(tools, "glance_requests.py"),
            (instances.get("glance") or {}).get("log") or facts["logs"]["glance"]),
        "glance_stores": (instances.get("glance") or {}).get("stores") or [],
    }
    if remote:
        config["glance_remote"] = {
            "region": remote[0]["region"],
            "endpoint": remote[0]["url"].rstrip("/"),
            "stores": remote[0]["stores"],
            "unwritable_stores": remote[0].get("unwritable_stores") or [],
            "import_methods": remote[0].get("import_methods") or [],
            "http_store": remote[0].get("http_store") or "",
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
