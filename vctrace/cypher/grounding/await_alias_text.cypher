// Wait until the alias full-text index is online (it is populated once, when first made).
CALL db.awaitIndex('alias_text', 600)
