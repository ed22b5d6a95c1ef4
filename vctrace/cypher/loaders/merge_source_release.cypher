// The provenance record of one load; the same files with the same options are one release.
MERGE (s:SourceRelease {key: $row.key})
ON CREATE SET s += $row
