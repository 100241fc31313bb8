"""The ``pitstop`` command (click, like Litestar's own CLI).

Each command reads settings from the environment and fails fast with one line naming a
wrong setting; no command prints a stack trace for a configuration mistake.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from pathlib import Path

import click

from pitstop.settings import Settings, SettingsError


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        click.echo(f"pitstop: configuration error: {exc}", err=True)
        sys.exit(2)


class PitstopGroup(click.Group):
    """The core's commands, then one group per plugin that declares ``commands()``.

    Plugins are loaded only when a name is not a core command (or for ``--help``), so
    ``pitstop migrate`` never imports a plugin it does not need.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        core = super().list_commands(ctx)
        try:
            plugins = sorted(self._plugin_groups())
        except SystemExit:  # a wrong setting, already named on stderr: --help still works
            plugins = []
        except Exception as exc:
            click.echo(f"pitstop: plugin commands unavailable: {exc}", err=True)
            plugins = []
        return core + plugins

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or self._plugin_groups().get(cmd_name)

    def _plugin_groups(self) -> Mapping[str, click.Group]:
        from pitstop.plugin_host.commands import plugin_groups
        from pitstop.plugin_host.manager import PluginHost, PluginRefused

        settings = _settings()
        try:
            host = PluginHost.from_entry_points(settings.plugins_allow, settings.plugins_blocked)
        except PluginRefused as exc:
            click.echo(f"pitstop: {exc}", err=True)
            sys.exit(2)
        return plugin_groups(host, frozenset(self.commands), prepare=_provide_runtime)


@click.pass_context
def _provide_runtime(ctx: click.Context) -> None:
    """Give a plugin's commands the runtime they run on (see ``for_each_tenant``), unless
    the caller handed one in as click's ``obj`` (tests: their clock and database)."""
    from sqlalchemy.pool import NullPool

    from pitstop.plugin_host.commands import CommandServices
    from pitstop.runtime import Runtime

    if isinstance(ctx.obj, CommandServices):
        return
    runtime = Runtime.build(_settings(), poolclass=NullPool)
    ctx.obj = runtime
    ctx.call_on_close(lambda: asyncio.run(runtime.close()))


@click.group(cls=PitstopGroup)
@click.version_option(package_name="pitstop")
def main() -> None:
    """Pitstop: the platform car-service chains and shops run on."""


@main.command()
def migrate() -> None:
    """Upgrade the database: the core and every installed plugin's branch."""
    from pitstop.bootstrap.migrate import upgrade

    settings = _settings()
    applied = upgrade(settings)
    for line in applied:
        click.echo(f"Applied {line}")
    if not applied:
        click.echo("Database is up to date.")


@main.command()
@click.option("--host", default=None, help="Overrides PITSTOP_HOST.")
@click.option("--port", default=None, type=int, help="Overrides PITSTOP_PORT.")
def serve(host: str | None, port: int | None) -> None:
    """Serve the API; embedded mode also runs the worker and scheduler in-process."""
    from pitstop.serve import run_server

    settings = _settings()
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    run_server(settings.with_overrides(**overrides) if overrides else settings)


@main.command()
@click.option("--threads", default=4, show_default=True, help="Worker threads.")
def worker(threads: int) -> None:
    """Run Dramatiq workers on Redis (PITSTOP_REDIS_URL must be set)."""
    from pitstop.processes import run_worker

    settings = _settings()
    if settings.redis_url is None:
        click.echo("pitstop: PITSTOP_REDIS_URL is required for a separate worker", err=True)
        sys.exit(2)
    run_worker(settings, threads=threads)


@main.command()
def scheduler() -> None:
    """Run periodic jobs and sweeps (one leader at a time on Redis)."""
    from pitstop.processes import run_scheduler

    settings = _settings()
    if settings.redis_url is None:
        click.echo("pitstop: PITSTOP_REDIS_URL is required for a separate scheduler", err=True)
        sys.exit(2)
    run_scheduler(settings)


@main.group()
def tenants() -> None:
    """Provision tenants from declarative manifests (tenants/*.toml)."""


def _run_manifests(directory: Path, apply: bool, adopt: bool = False) -> None:
    from pitstop.provisioning.manifests import ManifestError

    settings = _settings()
    try:
        output = asyncio.run(_reconcile(settings, directory, apply=apply, adopt=adopt))
    except ManifestError as exc:
        click.echo(f"pitstop: invalid manifest: {exc}", err=True)
        sys.exit(1)
    click.echo(output)


async def _reconcile(settings: Settings, directory: Path, *, apply: bool, adopt: bool) -> str:
    from pitstop.runtime import Runtime
    from pitstop.tenant_manifests import provision, report

    runtime = Runtime.build(settings)
    try:
        plans = await provision(runtime, directory, apply=apply, adopt=adopt)
    finally:
        await runtime.close()
    return report(plans, applied=apply)


@tenants.command("plan")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--adopt", is_flag=True, help="Show what `tenants adopt` would do instead.")
def tenants_plan(directory: Path, adopt: bool) -> None:
    """Print what apply would change; changes nothing."""
    _run_manifests(directory, apply=False, adopt=adopt)


@tenants.command("apply")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def tenants_apply(directory: Path) -> None:
    """Apply the manifests, one transaction per tenant; records the API manages stay as
    they are."""
    _run_manifests(directory, apply=True)


@tenants.command("adopt")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def tenants_adopt(directory: Path) -> None:
    """Apply the manifests, first taking over the API-managed stores and staff they name."""
    _run_manifests(directory, apply=True, adopt=True)


@main.command()
def permissions() -> None:
    """Print the role × permission table (core and installed plugins) as Markdown."""
    from pitstop.access.permissions import PermissionTable, as_markdown
    from pitstop.plugin_host.manager import PluginHost

    settings = _settings()
    table = PermissionTable.core()
    table.extend(
        PluginHost.from_entry_points(settings.plugins_allow, settings.plugins_blocked).permissions()
    )
    click.echo(as_markdown(table), nl=False)


@main.group()
def plugins() -> None:
    """Installed plugins."""


@plugins.command("list")
def plugins_list() -> None:
    """Show installed plugins with version and status (loaded, blocked, refused)."""
    from pitstop.plugin_host.inventory import inventory

    for line in inventory(_settings()):
        click.echo(line)


@main.group()
def plugin() -> None:
    """Write new plugins."""


@plugin.command("new")
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the distribution (default: ./pitstop-plugin-NAME).",
)
def plugin_new(name: str, directory: Path | None) -> None:
    """Scaffold a standalone partner plugin distribution that installs and loads."""
    from pitstop.plugin_host.scaffold import ScaffoldError, scaffold

    target = directory or Path(f"pitstop-plugin-{name}")
    try:
        written = scaffold(name, target)
    except ScaffoldError as exc:
        click.echo(f"pitstop: {exc}", err=True)
        sys.exit(2)
    for path in written:
        click.echo(f"  wrote {path}")
    click.echo(f"Next: pip install -e '{target}[test]' && pitstop migrate")
    click.echo("Then restart pitstop (serve, worker, scheduler): plugins load at start-up.")


@main.command()
@click.option(
    "--tenants-dir",
    default="tenants",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    show_default=True,
)
def demo(tenants_dir: Path) -> None:
    """Provision the demo tenants, set demo passwords and load demo data (idempotent)."""
    from pitstop.demo import INSTALL_HINT, faker_installed

    if not faker_installed():
        click.echo(f"pitstop: {INSTALL_HINT}", err=True)
        sys.exit(2)
    from pitstop.demo.loader import load_demo

    settings = _settings()
    click.echo(asyncio.run(load_demo(settings, tenants_dir)))


if __name__ == "__main__":  # pragma: no cover
    main()
