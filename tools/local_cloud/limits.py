"""Per-project image quotas for the local cloud: Keystone unified limits in RegionTwo's Glance.

RegionTwo's Glance (``glance2``) runs with ``use_keystone_limits``; Keystone holds generous registered
limits (defaults) for it, so every project may work as usual, and a test that needs a tight quota
sets a project limit (``POST /v3/limits``) and deletes it afterwards. RegionOne's Glance stays
without limits (``/v2/info/usage`` answers ``{"usage": {}}`` there). Hooked into cloud.py by
``glance_options`` (its config) and ``provision`` (Keystone's registered limits).
"""

LIMITED_INSTANCES = ("glance2",)
# Registered limits of each limited region: sizes in MiB.
REGISTERED_LIMITS = {
    "image_size_total": 1000000,
    "image_stage_total": 1000000,
    "image_count_total": 100000,
    "image_count_uploading": 1000,
}


def glance_options(inst, keystone: str, passwords: dict, domain: str):
    """(extra [DEFAULT] options, extra sections) of one Glance instance's glance-api.conf."""
    if inst.name not in LIMITED_INSTANCES:
        return [], {}
    return [("use_keystone_limits", "true")], {"oslo_limit": [
        ("auth_url", keystone),
        ("auth_type", "password"),
        # The glance user is admin of the service project: oslo.limit lists services and endpoints.
        ("username", "glance"),
        ("password", passwords["glance"]),
        ("project_name", "service"),
        ("user_domain_name", domain),
        ("project_domain_name", domain),
        # Image endpoints exist in two regions: name the one this Glance serves.
        ("endpoint_service_type", "image"),
        ("endpoint_region_name", inst.region),
        ("endpoint_interface", "public"),
    ]}


def provision(ks, image_service_id: str, instances) -> None:
    """Registered limits of the image service in each limited instance's region (kept when present)."""
    existing = ks.call("GET", f"/registered_limits?service_id={image_service_id}")[1]["registered_limits"]
    have = {(limit["region_id"], limit["resource_name"]) for limit in existing}
    missing = [{"service_id": image_service_id, "region_id": inst.region, "resource_name": name,
                "default_limit": value}
               for inst in instances if inst.name in LIMITED_INSTANCES
               for name, value in REGISTERED_LIMITS.items() if (inst.region, name) not in have]
    if missing:
        ks.call("POST", "/registered_limits", {"registered_limits": missing})
