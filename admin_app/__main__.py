"""`python -m admin_app` runs the `admin-app` command."""

from admin_app.cli import main

main()
