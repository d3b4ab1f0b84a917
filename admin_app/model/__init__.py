"""Facts about the served models: metadata, labels, keys and field descriptions."""
