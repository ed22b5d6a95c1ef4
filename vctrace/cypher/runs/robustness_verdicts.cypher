// The verdicts of a run given by the named truth verifiers on claims (the originals that
// counterfactuals are derived from): verifier, claim key, part (a gene of a gene list) and
// status. Read only.
MATCH (v:Verdict {run: $run})
WHERE v.verifier IN $verifiers AND v.subject STARTS WITH 'c-'
RETURN v.verifier AS verifier, v.subject AS subject, v.part AS part, v.status AS status
ORDER BY verifier, subject, part
