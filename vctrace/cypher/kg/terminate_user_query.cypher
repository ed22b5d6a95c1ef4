// Terminate the transactions of the user query tagged $tag (the query gate's metadata
// `vctrace_query`), when the client gave up on it. Parameters: $tag.
SHOW TRANSACTIONS YIELD transactionId AS id, metaData
WHERE metaData.vctrace_query = $tag
TERMINATE TRANSACTIONS id
YIELD transactionId, message
RETURN transactionId, message
