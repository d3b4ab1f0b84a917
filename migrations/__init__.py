"""Alembic environment and revisions for the admin's tables and the shipped domain.

Two branches: `admin` holds the admin's own tables and is applied to every
database the admin serves; `demo` holds the shipped example domain and is
applied only when the shipped `models` package is served.
"""
