"""The layout guard: `platform/` is a source root, never a package shadowing the standard library."""

import importlib.util
import platform
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_platform_module_is_the_standard_librarys():
    assert Path(platform.__file__).resolve().parent == Path(sysconfig.get_paths()["stdlib"]).resolve()
    assert callable(platform.python_version)


def test_platform_folder_has_no_init():
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_packages_inside_platform_are_importable_by_their_own_names():
    for name in ("config", "control_plane", "devstack"):
        spec = importlib.util.find_spec(name)
        assert spec is not None and Path(spec.origin).is_relative_to(ROOT / "platform"), name


def test_top_level_layout():
    for name in (
        "platform",
        "tenants",
        "billing",
        "themes",
        "api",
        "infra",
        "tests",
        "pyproject.toml",
        "README.md",
    ):
        assert (ROOT / name).exists(), name


def test_every_permission_has_a_label():
    from tenants.accounts.roles import PERMISSION_LABELS, ROLE_PERMISSIONS

    granted = set().union(*ROLE_PERMISSIONS.values())
    assert granted <= set(PERMISSION_LABELS)
