# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: project names and ids through Keystone."""

from __future__ import annotations

import re
from urllib.parse import quote

from ansible_collections.imagecat.glance.plugins.module_utils._errors import InputError

# Keystone project ids: 32 hex characters (UUIDs with dashes in some deployments).
PROJECT_ID_RE = re.compile(r"^[0-9a-fA-F]{32}$|^[0-9a-fA-F-]{36}$")


def resolve_project(connection, name_or_id, option):
    """A project name or id -> the project id, or a clear error naming ``option``.

    Tries, cheapest first: the token's own project, a project by id, the projects the
    user may scope to, then Keystone's project list (which needs an admin). Without
    Keystone (a bare endpoint) the value is taken as an id.
    """
    if not connection.has_keystone:
        return name_or_id
    own = connection.project_id()
    if name_or_id == own:
        return own
    access = connection.session.auth.get_access(connection.session)
    if getattr(access, "project_name", None) == name_or_id and own:
        return own
    status, body = connection.identity_get("/projects/%s" % quote(name_or_id, safe=""), expected=(200,))
    if body and body.get("project"):
        return body["project"]["id"]
    if status == 403 and PROJECT_ID_RE.match(name_or_id):
        # Keystone lets a member read only its own project; an id is what Glance stores anyway.
        return name_or_id
    status, body = connection.identity_get("/auth/projects")
    for project in (body or {}).get("projects") or []:
        if name_or_id in (project.get("name"), project.get("id")):
            return project["id"]
    status, body = connection.identity_get("/projects?name=%s" % quote(name_or_id, safe=""))
    projects = (body or {}).get("projects") or []
    if len(projects) == 1:
        return projects[0]["id"]
    if len(projects) > 1:
        raise InputError("%s: several projects are named '%s' (in different domains): %s; give the project id."
                         % (option, name_or_id, ", ".join(p["id"] for p in projects)))
    hint = "" if status == 200 else " (listing projects by name needs an admin; give the project id instead)"
    raise InputError("%s: no project named or with id '%s' is visible to this user%s."
                     % (option, name_or_id, hint))
