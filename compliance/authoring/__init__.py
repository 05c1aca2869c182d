"""Tools for the people who write and review rule packs: validate (lint and static analysis), test cases,
the impact of a change on a corpus (diff), JSON Schema for editors, and SARIF / JUnit output for CI."""
