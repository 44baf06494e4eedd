"""The ``ml5-dcgan`` command line: parses, calls the library, prints.

Each command group lives in its own module here and imports the heavy parts of the library
(TensorFlow, Keras) inside the command body, so ``ml5-dcgan --help`` and manifest validation
start in a fraction of a second.
"""

from __future__ import annotations

import sys

import click

from .. import __version__
from ..cpu_kernels import use_fast_cpu_kernels
from ..errors import UserError
from . import train as train_commands
from .audit import audit_command
from .browser import browser_check_command
from .evaluate import evaluate_command
from .export import export_command
from .manifest import manifest_group
from .publish import publish_command
from .quiet_tensorflow import quiet_tensorflow
from .runtime import runtime_group
from .serve import serve_command
from .sketch import sketch_command
from .unpublish import unpublish_command
from .validate import validate_command

EXIT_CODES_HELP = """
Exit codes: 0 success, 1 the checked thing failed (or the job failed), 2 usage error or
unreadable input, 130 interrupted.
"""


@click.group(
    help=(
        "From a folder of images to a DCGAN that runs in an ml5.js sketch, and checks for the "
        "models other people submit.\n\n"
        "Your own model, from images to a sketch:\n\n"
        "\b\n"
        "  ml5-dcgan train photos/ --out runs/photos --minutes 30\n"
        "  ml5-dcgan evaluate runs/photos --data photos/   # FD, KID, collapse, copies\n"
        "  ml5-dcgan export runs/photos --out bundle     # proven in TF.js 1.7.4 + 4.22\n"
        "  ml5-dcgan sketch bundle && ml5-dcgan serve bundle\n"
        "\n"
        "Checking what others submit:\n\n"
        "\b\n"
        "  ml5-dcgan manifest validate submissions/\n"
        "  ml5-dcgan validate submission.zip\n"
        "  ml5-dcgan browser-check bundle             # real ml5 in headless Chromium\n"
        "  ml5-dcgan publish bundle --repo ../models --name faces --license CC-BY-4.0\n"
        "  ml5-dcgan audit ../models                  # every hosted model still intact?\n"
        "\n" + EXIT_CODES_HELP
    ),
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="ml5-dcgan")
def cli() -> None:
    pass


# Command groups are registered here, one line each, from their own modules.
cli.add_command(train_commands.train)
cli.add_command(train_commands.generate)
cli.add_command(evaluate_command)
cli.add_command(export_command)
cli.add_command(manifest_group)
cli.add_command(runtime_group)
cli.add_command(validate_command)
cli.add_command(sketch_command)
cli.add_command(serve_command)
cli.add_command(browser_check_command)
cli.add_command(publish_command)
cli.add_command(unpublish_command)
cli.add_command(audit_command)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one readable line and a non-zero exit for every user-facing failure."""
    use_fast_cpu_kernels()
    quiet_tensorflow()
    try:
        code = cli.main(args=argv, prog_name="ml5-dcgan", standalone_mode=False)
    except UserError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
