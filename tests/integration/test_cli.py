"""The `pitstop` command as a newcomer runs it: migrate, plan, apply, plan again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e  # every test runs the real `pitstop` command


def _pitstop(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pitstop.cli", *args],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("PITSTOP_")}, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_migrate_plan_apply_plan(tmp_path: Path, tenants_dir: Path) -> None:
    # Given an empty embedded installation
    env = {"PITSTOP_VAR_DIR": str(tmp_path)}
    # When migrated, planned, applied and planned again
    assert _pitstop("migrate", env=env).returncode == 0
    plan = _pitstop("tenants", "plan", str(tenants_dir), env=env)
    apply = _pitstop("tenants", "apply", str(tenants_dir), env=env)
    again = _pitstop("tenants", "plan", str(tenants_dir), env=env)
    # Then the plan lists the tenants, apply applies them, and nothing is left
    assert plan.returncode == 0, plan.stderr
    assert "+ tenant demo-chain (chain)" in plan.stdout
    assert apply.returncode == 0 and "Applied." in apply.stdout
    assert again.stdout.strip() == "No changes."


def test_migrate_says_what_it_applied_and_up_to_date_only_when_nothing_ran(
    tmp_path: Path,
) -> None:
    # Given an empty embedded installation
    env = {"PITSTOP_VAR_DIR": str(tmp_path)}
    # When migrated twice
    first = _pitstop("migrate", env=env)
    second = _pitstop("migrate", env=env)
    # Then the first run names every revision it applied, core and plugins, in order
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == "Applied core 0001_core_tenancy_and_identity"
    assert "Applied core 0003_core_crm" in lines
    assert "Applied membership membership_0001_membership_tables" in lines
    assert "Database is up to date." not in first.stdout
    # And the second applies nothing and says so
    assert second.stdout.strip() == "Database is up to date."


def test_bad_database_url_fails_fast_with_one_line(tmp_path: Path) -> None:
    # Given a wrong database URL
    env = {"PITSTOP_VAR_DIR": str(tmp_path), "PITSTOP_DATABASE_URL": "mysql://x@y/z"}
    # When any command starts
    result = _pitstop("migrate", env=env)
    # Then it stops with one line naming the setting
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "PITSTOP_DATABASE_URL" in result.stderr


def test_short_secret_in_production_fails_fast(tmp_path: Path) -> None:
    env = {
        "PITSTOP_VAR_DIR": str(tmp_path),
        "PITSTOP_REDIS_URL": "redis://127.0.0.1:6379/0",
        "PITSTOP_SECRET_KEY": "too-short",
    }
    result = _pitstop("serve", env=env)
    assert result.returncode == 2
    assert "PITSTOP_SECRET_KEY" in result.stderr


def test_bad_manifest_exits_nonzero_naming_file_and_key(tmp_path: Path) -> None:
    # Given a manifest with a bad region
    manifests = tmp_path / "tenants"
    manifests.mkdir()
    (manifests / "x.toml").write_text(
        "slug='x'\nname='X'\nkind='shop'\n[[stores]]\ncode='A'\nname='a'\ncity='c'\nregion='moon'\n",
        encoding="utf-8",
    )
    env = {"PITSTOP_VAR_DIR": str(tmp_path)}
    assert _pitstop("migrate", env=env).returncode == 0
    # When planned
    result = _pitstop("tenants", "plan", str(manifests), env=env)
    # Then it fails naming the file and key
    assert result.returncode == 1
    assert "x.toml" in result.stderr and "stores[0].region" in result.stderr


def test_adopt_is_a_command_and_plan_can_preview_it(tmp_path: Path, tenants_dir: Path) -> None:
    # Given an embedded installation with the demo manifests applied
    env = {"PITSTOP_VAR_DIR": str(tmp_path)}
    assert _pitstop("migrate", env=env).returncode == 0
    assert _pitstop("tenants", "apply", str(tenants_dir), env=env).returncode == 0
    # When adoption is previewed and run on records the manifests already manage
    preview = _pitstop("tenants", "plan", "--adopt", str(tenants_dir), env=env)
    adopted = _pitstop("tenants", "adopt", str(tenants_dir), env=env)
    # Then there is nothing to adopt or change
    assert preview.returncode == 0, preview.stderr
    assert preview.stdout.strip() == adopted.stdout.strip() == "No changes."


def test_plugin_commands_are_mounted_under_the_plugin(tmp_path: Path, tenants_dir: Path) -> None:
    # Given an embedded installation with the demo tenants (no service history yet)
    env = {"PITSTOP_VAR_DIR": str(tmp_path)}
    assert _pitstop("migrate", env=env).returncode == 0
    assert _pitstop("tenants", "apply", str(tenants_dir), env=env).returncode == 0
    # When the operator looks for and runs the membership plugin's backfill
    listed = _pitstop("--help", env=env)
    backfill = _pitstop("membership", "backfill", "--since", "12mo", env=env)
    wrong = _pitstop("membership", "backfill", "--since", "12mo", "--tenant", "demo-shop", env=env)
    # Then `pitstop membership` is a command, and the backfill runs for the tenants that run
    # the plugin (the chain, not the shop) and prints a summary of counts
    assert "membership" in listed.stdout
    assert backfill.returncode == 0, backfill.stderr
    assert backfill.stdout.startswith("demo-chain:\n")
    assert "0 counted" in backfill.stdout and "demo-shop" not in backfill.stdout
    # And a tenant that does not run it is one line on stderr and exit 1
    assert wrong.returncode == 1
    assert wrong.stderr.strip() == "Error: tenant demo-shop has not enabled membership"


def test_demo_without_faker_says_how_to_install_it(tmp_path: Path, tenants_dir: Path) -> None:
    # Given an installation without the `demo` extra: Faker cannot be imported
    without_faker = "import sys; sys.modules['faker'] = None; from pitstop.cli import main; main()"
    # When the demo is asked for
    result = subprocess.run(
        [sys.executable, "-c", without_faker, "demo", "--tenants-dir", str(tenants_dir)],
        env={**os.environ, "PITSTOP_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Then it fails with one line naming the extra to install, and no traceback
    assert result.returncode != 0
    assert "pip install 'pitstop[demo]'" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
