// A verification run, linked to the source releases loaded at this time. The traces it covers
// are linked afterwards in batches (link_covers, then finish_covers): until then the run is
// `creating`, and a resumed run completes the linking first. `owner` names the process working
// on the run (host, pid, token; see claim_run).
CREATE (r:VerificationRun)
SET r = $props, r.status = 'running', r.creating = true, r.created_at = datetime(),
    r.heartbeat_at = datetime()
WITH r
CALL (r) {
  MATCH (s:SourceRelease)
  CREATE (r)-[:USED_SOURCE]->(s)
  RETURN count(s) AS sources
}
RETURN sources
