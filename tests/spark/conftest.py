"""One local[2] SparkSession for every Spark test of a test process (a JVM takes seconds to start)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    # Skipped where the extra or Java is missing, except under CI=true (.ci/run installs both): there, a failure.
    missing = None
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing = "the [spark] extra is not installed (.ci/run installs it)"
    if missing is None and shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        missing = "no Java on this machine (.ci/run installs openjdk-17-jre-headless)"
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Spark is needed under CI=true: {missing}")
        pytest.skip(missing)
    from pyspark.sql import SparkSession

    # In local mode PySpark starts its Python workers with $PYSPARK_PYTHON (default: `python3` on PATH), not
    # this interpreter: they would not see this virtualenv's packages.
    saved = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("compliance-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
        if saved is None:
            os.environ.pop("PYSPARK_PYTHON", None)
        else:
            os.environ["PYSPARK_PYTHON"] = saved
