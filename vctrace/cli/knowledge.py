"""Knowledge commands: ``load`` (flags generated from the loaders' options models),
``ground`` and ``sources``."""

from __future__ import annotations

from typing import Any

import click

from ..app import knowledge
from ..settings import Settings
from .model_options import given_options, model_flags
from .render import (EXIT_INVALID, EXIT_OK, grounding_table, json_text, no_progress_option,
                     note, progress_bars, say, seconds_text)

CATALOG = knowledge.loader_catalog()
LOADER_FLAGS, FLAGS = model_flags({info.name: (info.options, "") for info in CATALOG})
FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                      show_default=True)


def _load_help() -> str:
    sources = "\n".join(f"  {info.name:<16}{info.description}" for info in CATALOG)
    return ("Load a knowledge source's files into Neo4j (streamed, idempotent, recorded as a "
            "source release), then re-ground every trace mention. A file of the wrong kind, "
            "an empty file, or a path that is not a regular file (a folder, a device, a FIFO) "
            "is refused before anything is written; bad rows (bad quoting, too many or too "
            "few cells, a value Neo4j refuses to store) are reported with their line and the "
            "rest loads; a parquet file is read row group by row group, so a corrupt group is "
            "reported with its lines and the other groups load. The release is recorded even "
            "when a file stops being readable part-way.\n\n"
            f"\b\nSOURCE is one of:\n{sources}\n\n"
            "Each option below names the sources it applies to; giving it for another source "
            "is an error.\n\n"
            "Exit status: 0 every row loaded, 1 some rows were rejected, 2 a file cannot be "
            "used (not of the source's format, not a regular file, empty, or unreadable "
            "part-way), an option does not apply or the database cannot be used.")


@click.command(help=_load_help())
@click.argument("source", type=click.Choice([info.name for info in CATALOG]), metavar="SOURCE")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@LOADER_FLAGS
@click.option("--bulk", is_flag=True,
              help=", ".join(i.name for i in CATALOG if i.bulk) + ": first load into an EMPTY "
              "local database with neo4j-admin import (stops and restarts the server; for the "
              "full 8.1 M-row PrimeKG file)")
@no_progress_option
@click.pass_obj
def load(settings: Settings, source: str, paths: tuple[str, ...], bulk: bool,
         no_progress: bool, **flags: Any) -> int:
    """Load a knowledge source (the help text is made from the loader catalogue)."""
    options = {field: value for fields in given_options(FLAGS, flags).values()
               for field, value in fields.items()}
    result = knowledge.load(settings, source, list(paths), options, bulk=bulk,
                            progress=progress_bars(not no_progress))
    if result.bulk_seconds:
        say(f"bulk: {seconds_text(result.bulk_seconds)}")
    for problem in result.problems:
        say(f"  {problem}")
    release, grounding = result.release, result.grounding
    say(f"{source}: {release.rows_read:,} rows read, {release.rows_loaded:,} loaded, "
        f"{release.rows_rejected:,} rejected, in {result.seconds:.1f} s (release {release.key}, "
        f"source {release.source} {release.version})")
    say(f"re-grounded all traces: {grounding.grounded:,} of {grounding.mentions:,} mentions "
        f"link to entities ({grounding.aliases:,} aliases indexed)")
    return EXIT_INVALID if release.rows_rejected else EXIT_OK


@click.command()
@click.option("--rebuild", is_flag=True,
              help="re-index every entity and ground every mention again")
@FORMAT
@no_progress_option
@click.pass_obj
def ground(settings: Settings, rebuild: bool, fmt: str, no_progress: bool) -> int:
    """Ground the entity names of trace arguments to loaded entities (by exact name, ontology
    synonym, normalised form, then fuzzy above a threshold; the kind is recorded on each
    link) and print how many arguments ground, per primitive and role. Runs by itself after
    ingest (new mentions) and load (everything, as with --rebuild)."""
    result = knowledge.ground(settings, rebuild, progress=progress_bars(not no_progress))
    if fmt == "json":
        say(json_text(result.model_dump(mode="json")))
        return EXIT_OK
    aliases = f"; {result.aliases:,} aliases indexed" if result.aliases else ""
    kinds = ", ".join(f"{n:,} {kind}" for kind, n in result.by_kind.items())
    say(f"grounding: {result.grounded:,} of {result.mentions:,} ungrounded mentions linked "
        f"({kinds}{aliases})")
    grounding_table(result.by_role)
    return EXIT_OK


@click.command()
@FORMAT
@click.pass_obj
def sources(settings: Settings, fmt: str) -> int:
    """List every recorded load (source release), newest first: source, version, start,
    rows read / loaded / rejected, files and release key."""
    releases = knowledge.sources(settings)
    if fmt == "json":
        say(json_text([r.model_dump(mode="json", exclude_none=True) for r in releases]))
        return EXIT_OK
    if not releases:
        note("no knowledge loaded yet (vctrace load --help)")
    for r in releases:
        say(f"{r.source} {r.version}  {(r.started_at or '')[:19]}  read {r.rows_read:,}, "
            f"loaded {r.rows_loaded:,}, rejected {r.rows_rejected:,}  "
            f"[{', '.join(r.files)}]  {r.key}")
    return EXIT_OK


COMMANDS = [load, ground, sources]
