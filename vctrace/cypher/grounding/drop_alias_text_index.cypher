// Drop the alias full-text index before the alias index is rebuilt: populating it once from
// the new aliases is cheaper than updating it with every deletion and every write.
DROP INDEX alias_text IF EXISTS
