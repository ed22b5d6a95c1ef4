// Constraints and indexes, created before any data; every statement is idempotent.
CREATE CONSTRAINT trace_key IF NOT EXISTS FOR (n:Trace) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT claim_key IF NOT EXISTS FOR (n:Claim) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT mention_key IF NOT EXISTS FOR (n:Mention) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT drug_key IF NOT EXISTS FOR (n:Drug) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT cell_line_key IF NOT EXISTS FOR (n:CellLine) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT input_record_key IF NOT EXISTS FOR (n:InputRecord) REQUIRE n.key IS UNIQUE;
CREATE INDEX trace_trace_id IF NOT EXISTS FOR (n:Trace) ON (n.trace_id);
CREATE INDEX trace_drug IF NOT EXISTS FOR (n:Trace) ON (n.drug);
CREATE INDEX trace_cell_line IF NOT EXISTS FOR (n:Trace) ON (n.cell_line);
CREATE INDEX claim_primitive IF NOT EXISTS FOR (n:Claim) ON (n.primitive);
CREATE INDEX mention_text IF NOT EXISTS FOR (n:Mention) ON (n.text);
CREATE CONSTRAINT gene_key IF NOT EXISTS FOR (n:Gene) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT source_release_key IF NOT EXISTS FOR (n:SourceRelease) REQUIRE n.key IS UNIQUE;
CREATE INDEX drug_base_name IF NOT EXISTS FOR (n:Drug) ON (n.base_name);
