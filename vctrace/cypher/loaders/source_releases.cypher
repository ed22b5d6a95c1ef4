// Every recorded load, newest first.
MATCH (s:SourceRelease)
RETURN s {.*} AS release
ORDER BY s.started_at DESC
