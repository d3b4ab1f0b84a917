"""The write path: parse, validate, write and audit; links, bulk edits, deletions."""
