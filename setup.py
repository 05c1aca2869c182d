"""Package layout that pyproject.toml cannot state: discovery plus the rule packs mapped in from rules/.

rules/ stays at the repository root (CI, pre-commit hooks and the docs name it) and ships in the wheel as
`compliance/bundled_rules/`, found at run time with importlib.resources (compliance/packs/bundled.py). Everything
else about the project is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    py_modules=["cli"],
    packages=[*find_packages(include=["compliance", "compliance.*"]), "compliance.bundled_rules"],
    package_dir={"compliance.bundled_rules": "rules"},
    package_data={
        "compliance": ["py.typed"],
        "compliance.bundled_rules": ["**/*.yaml", "**/*.yml", "**/*.json", "**/*.csv"],
    },
    include_package_data=False,
)
