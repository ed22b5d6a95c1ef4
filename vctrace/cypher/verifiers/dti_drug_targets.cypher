// Curated target records of the drugs of a batch: PrimeKG drug_protein edges (DrugBank:
// target, enzyme, carrier, transporter), Tahoe-100M listed targets, the genes of Harmonizome
// drug-target datasets whose attribute is one of the drug's grounded attributes, and explicit
// negative records (:Drug)-[:NOT_TARGET {source, release}]->(:Gene) (negative: true).
UNWIND $drugs AS q
CALL (q) {
  MATCH (d:Drug {key: q.drug})-[e:DRUG_PROTEIN|TARGETS]-(g:Gene)
  RETURN g.key AS gene, coalesce(g.symbol, g.name) AS symbol,
         CASE type(e) WHEN 'TARGETS' THEN 'tahoe_target'
              ELSE 'primekg_' + coalesce(e.display_relation, 'drug_protein') END AS kind,
         e.source AS source, e.release AS release, false AS negative
  UNION
  MATCH (a:HarmonizomeAttribute)<-[e:HAS_ATTRIBUTE]-(g:Gene)
  WHERE a.key IN q.attributes AND toLower(e.dataset) IN $datasets
  RETURN g.key AS gene, coalesce(g.symbol, g.name) AS symbol, 'harmonizome_' + e.dataset AS kind,
         e.source AS source, e.release AS release, false AS negative
  UNION
  MATCH (d:Drug {key: q.drug})-[e:NOT_TARGET]->(g:Gene)
  RETURN g.key AS gene, coalesce(g.symbol, g.name) AS symbol, 'not_target' AS kind,
         e.source AS source, e.release AS release, true AS negative
}
RETURN q.drug AS drug, collect({gene: gene, symbol: symbol, kind: kind, source: source,
                                release: release, negative: negative}) AS targets
