"""setuptools' build backend, run on a copy of the checkout in a temporary directory.

setuptools builds where it stands and leaves build/ and xhands.egg-info/ behind; `pip install .` (or
`pip wheel .`) must leave a checkout as it found it. Editable installs point into the checkout, so
they are built in place, as setuptools does.
"""

import contextlib
import os
import shutil
import tempfile

from setuptools import build_meta
from setuptools.build_meta import build_editable, get_requires_for_build_editable, prepare_metadata_for_build_editable

__all__ = ["build_editable", "build_sdist", "build_wheel", "get_requires_for_build_editable",
           "get_requires_for_build_sdist", "get_requires_for_build_wheel", "prepare_metadata_for_build_editable",
           "prepare_metadata_for_build_wheel"]

# Not copied: what is not the project's source, and what a build would otherwise leave behind.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "node_modules", "build", "dist", "*.egg-info", "__pycache__",
                                    ".pytest_cache", ".hypothesis")


@contextlib.contextmanager
def elsewhere():
    """Work in a copy of the checkout; paths given by the frontend are absolute or made so first."""
    checkout = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="xhands-build-") as scratch:
        copy = os.path.join(scratch, "source")
        shutil.copytree(checkout, copy, ignore=NOT_SOURCE, symlinks=True)
        os.chdir(copy)
        try:
            yield
        finally:
            os.chdir(checkout)


def _absolute(path):
    return os.path.abspath(path) if path else path


def get_requires_for_build_wheel(config_settings=None):
    with elsewhere():
        return build_meta.get_requires_for_build_wheel(config_settings)


def get_requires_for_build_sdist(config_settings=None):
    with elsewhere():
        return build_meta.get_requires_for_build_sdist(config_settings)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    metadata_directory = _absolute(metadata_directory)
    with elsewhere():
        return build_meta.prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    wheel_directory, metadata_directory = _absolute(wheel_directory), _absolute(metadata_directory)
    with elsewhere():
        return build_meta.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_sdist(sdist_directory, config_settings=None):
    sdist_directory = _absolute(sdist_directory)
    with elsewhere():
        return build_meta.build_sdist(sdist_directory, config_settings)
