// The ad-hoc user queries the server is running (the query gate's metadata `vctrace_adhoc`),
// and how many of them were terminated but are still finishing one long expression.
SHOW TRANSACTIONS YIELD metaData, status
WHERE metaData.vctrace_adhoc = true
RETURN count(*) AS running,
       count(CASE WHEN status STARTS WITH 'Terminated' THEN 1 END) AS stuck
