// Traces whose claims mention an entity, by its key (e.g. 'map2k1') or any name it grounds
// from. Parameters: entity.
MATCH (e:Entity)
WHERE e.key = $entity OR toLower(trim($entity)) IN coalesce(e.names, [])
   OR e.key = toLower(trim($entity))
MATCH (t:Trace)-[:HAS_ACTION]->(a:Action)-[:ASSERTS]->(:Claim)-[m:MENTIONS]->(:Mention)
      -[:REFERS_TO]->(e)
RETURN t.key AS trace, t.trace_id AS trace_id, coalesce(t.trace_ids, []) AS trace_ids,
       a.id AS action, a.primitive AS primitive,
       m.role AS role, e.key AS entity
ORDER BY trace, action
