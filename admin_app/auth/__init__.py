"""Staff accounts, password hashing and login."""
