// A full-text (Lucene) index of the alias forms: fuzzy matching asks it for the few forms
// close to a mention instead of comparing the mention with every name. A no-op once made.
CREATE FULLTEXT INDEX alias_text IF NOT EXISTS FOR (a:Alias) ON EACH [a.key]
