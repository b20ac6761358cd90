"""Understanding a message over the catalog's own schema: predicates, readers, grounding."""
