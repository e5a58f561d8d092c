"""The `a64fault` command line: a click group whose commands live in a64fault/commands/.

Commands are imported only when invoked, so `a64fault classify` does not pay
for the fault model or the scanner, and `a64fault --help` imports none. Bad
input (InputError, OSError, a click usage error) ends with one line on stderr
and exit status 2.
"""

from __future__ import annotations

import importlib
import signal
import sys
from collections.abc import Sequence

import click

from .commands import MODULES, SHORT_HELP
from .errors import InputError, one_line

#: click >= 8.2 raises this for a bare group invocation (its message is the help).
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", None)

class LazyGroup(click.Group):
    """A click group that imports each command's module on first use; its help
    lists the commands from the light registry in a64fault/commands/__init__.py."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(MODULES)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module = MODULES.get(name)
        if module is None:
            return None
        command: click.Command = importlib.import_module(f"a64fault.commands.{module}").command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SHORT_HELP[name]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="a64fault")
def cli() -> None:
    """Decode A64 instructions and classify memory faults."""


def fail(message: str) -> None:
    """Print one error line (see errors.one_line) and exit with status 2."""
    click.echo(f"a64fault: error: {one_line(message)}", err=True)
    sys.exit(2)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the console script."""
    if hasattr(signal, "SIGPIPE"):
        # `a64fault scan ... | head`: end quietly, as Unix filters do, when the
        # reader goes away (click would otherwise turn EPIPE into exit 1).
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        cli.main(args=argv, prog_name="a64fault", standalone_mode=False)
    except click.exceptions.Abort:
        fail("aborted")
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        if _NO_ARGS_IS_HELP is not None and isinstance(error, _NO_ARGS_IS_HELP):
            click.echo(error.ctx.get_help())  # bare `a64fault`: the help, not an error
            sys.exit(0)
        fail(error.format_message().splitlines()[0])
    except InputError as error:
        fail(str(error))
    except OSError as error:
        fail(f"{error.filename or ''}: {error.strerror or error}".lstrip(": "))
