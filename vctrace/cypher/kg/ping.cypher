// Readiness probe: answers once the server accepts queries.
RETURN 1 AS ok
