// Drop every mention-to-entity link (before grounding everything again).
MATCH (:Mention)-[r:REFERS_TO]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS
