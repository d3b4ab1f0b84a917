"""The SQLAdmin site: the base view, registry, index, audit log pages, templates."""
