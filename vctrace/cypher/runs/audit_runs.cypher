// Run records and the source releases each used.
UNWIND $runs AS key
MATCH (r:VerificationRun {key: key})
OPTIONAL MATCH (r)-[:USED_SOURCE]->(s:SourceRelease)
RETURN r {.key, .status, .fingerprint, .verifiers_json, .filter_json, .traces,
          created_at: toString(r.created_at), finished_at: toString(r.finished_at)} AS run,
       collect(s {.key, .source, .version, .loader, .loader_version, .files_json,
                  .options_json, .finished_at}) AS sources
