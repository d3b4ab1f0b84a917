"""The import path: files read, rows decided by the write path, previewed, confirmed."""
