"""Installed into the local cloud's venv only: serialise SQLite write transactions.

oslo.db opens every SQLite transaction with a plain (deferred) ``BEGIN``. Two
uwsgi workers that read and then write in such transactions deadlock, and SQLite
answers one of them ``database is locked`` at once, whatever the busy timeout:
Glance returns HTTP 500 to about a quarter of the requests when only two clients
write at the same time. ``BEGIN IMMEDIATE`` takes the write lock up front, so the
second transaction waits (busy timeout, set in the connection URL) instead.

This changes how the test cloud's database is locked, not what Glance or
Keystone do; production clouds use MySQL or PostgreSQL and never see it.
A .pth file imports this module at interpreter start; it acts only when
IMAGECAT_SQLITE_IMMEDIATE=1 is set (the uwsgi services of tools/local_cloud).
"""

import os


def _install():
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "before_cursor_execute", retval=True)
    def begin_immediate(conn, cursor, statement, parameters, context, executemany):
        if statement == "BEGIN" and conn.dialect.name == "sqlite":
            statement = "BEGIN IMMEDIATE"
        return statement, parameters


if os.environ.get("IMAGECAT_SQLITE_IMMEDIATE") == "1":
    try:
        _install()
    except ImportError:
        pass
