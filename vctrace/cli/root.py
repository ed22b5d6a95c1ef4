"""The root ``vctrace`` command: global options, settings, error handling, and the command
groups (one module each)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..app import Settings, VctraceError
from .render import EXIT_INVALID, EXIT_OK, EXIT_UNUSABLE, error

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.option("--home", type=click.Path(path_type=Path),
              help="vctrace home (VCTRACE_HOME): local Neo4j jars, data and password")
@click.option("--neo4j-uri", help="use this Neo4j instead of the local one "
              "(VCTRACE_NEO4J_URI; password from VCTRACE_NEO4J_PASSWORD)")
@click.option("--neo4j-user", help="user for --neo4j-uri (VCTRACE_NEO4J_USER)")
@click.option("--bolt-port", type=int, help="port of the local Neo4j "
              "(VCTRACE_BOLT_PORT, default 7687)")
@click.version_option(package_name="vctrace")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, neo4j_uri: str | None, neo4j_user: str | None,
        bolt_port: int | None) -> None:
    """Verify mechanistic explanations (traces) of how drugs act on cells, stored as
    subgraphs in Neo4j. Settings come from VCTRACE_* environment variables; the options
    below override them."""
    overrides = {name: value for name, value in (
        ("home", home), ("neo4j_uri", neo4j_uri), ("neo4j_user", neo4j_user),
        ("bolt_port", bolt_port)) if value is not None}
    try:
        ctx.obj = Settings(**overrides)
    except Exception as exc:  # pydantic validation of the environment and flags
        raise click.UsageError(f"bad settings: {exc}") from None


pass_settings = click.make_pass_decorator(Settings)


def _register() -> None:
    """Add the commands of every module of this package that lists them in ``COMMANDS``
    (a new command group is a new module; nothing to edit here)."""
    import importlib
    import pkgutil
    from . import __path__ as package_path
    for info in sorted(pkgutil.iter_modules(package_path), key=lambda m: m.name):
        if info.name.startswith("_"):  # __main__ runs the command line when imported
            continue
        module = importlib.import_module(f"{__package__}.{info.name}")
        for command in getattr(module, "COMMANDS", ()):
            cli.add_command(command)


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); the exit status."""
    try:
        status = cli.main(args=argv, prog_name="vctrace", standalone_mode=False)
    except click.exceptions.Exit as exc:  # --help, --version
        return exc.exit_code
    except click.ClickException as exc:  # usage errors: unknown flag, bad value …
        exc.show()
        return EXIT_UNUSABLE
    except click.exceptions.Abort:
        error("interrupted")
        return 130
    except VctraceError as exc:
        error(str(exc))
        return EXIT_INVALID if exc.kind == "invalid" else EXIT_UNUSABLE
    except KeyboardInterrupt:
        error("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    return status if isinstance(status, int) else EXIT_OK


_register()

if __name__ == "__main__":
    sys.exit(main())


def run() -> None:
    """The console-script entry point."""
    sys.exit(main())
