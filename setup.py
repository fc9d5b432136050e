"""Builds tensorgrad._C with CMake (TG_PYTHON=ON, library only) and packages it with
the pure-Python `tensorgrad` and `tinytorch` packages from python/.

    pip install --no-build-isolation .          (add --break-system-packages for
                                                 Debian's /usr/bin/python3 outside a venv)
"""
import os
import pathlib
import shutil
import subprocess
import sys

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext

ROOT = pathlib.Path(__file__).resolve().parent


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    """Configures the repository with CMake in build_temp and builds the module target."""

    def build_extension(self, ext):
        build_dir = pathlib.Path(self.build_temp).resolve() / "cmake"
        out_dir = build_dir / "python"
        subprocess.run(
            ["cmake", "-S", str(ROOT), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release", "-DTG_PYTHON=ON",
             "-DTG_BUILD_TESTS=OFF", "-DTG_BUILD_TOOLS=OFF", "-DTG_BUILD_BENCH=OFF", "-DTG_WITH_TORCH=OFF",
             "-DPython3_EXECUTABLE=" + sys.executable, "-DTG_PYTHON_OUT=" + str(out_dir)],
            check=True)
        jobs = os.environ.get("TG_JOBS", "2")
        subprocess.run(["cmake", "--build", str(build_dir), "-j", jobs, "--target", "tensorgrad_python"], check=True)
        built = next((out_dir / "tensorgrad").glob("_C*.so"))
        target = pathlib.Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, target)


setup(
    package_dir={"": "python"},
    packages=find_packages("python", include=["tensorgrad", "tensorgrad.*", "tinytorch", "tinytorch.*"]),
    ext_modules=[CMakeExtension("tensorgrad._C")],
    cmdclass={"build_ext": CMakeBuild},
    # Keeps setuptools' files out of build/ (scripts/build.sh's CMake directory) and python/.
    options={"build": {"build_base": "build-pip"}, "egg_info": {"egg_base": "build-pip"}},
    zip_safe=False,
)
