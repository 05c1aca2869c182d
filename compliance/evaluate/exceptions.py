"""Licence exceptions recorded on an order: when a NAC or ACA entry covers an advanced-computing requirement.

15 CFR 740.8 (as amended by 89 FR 23884, 89 FR 96814 and 90 FR 4558; [eCFR 2026-02-10]):

* License Exception **NAC** (Notified Advanced Computing) authorises exports and reexports of 3A090 (not
  3A090.c), 4A090 and the .z items to Macau or a D:5 country, or to an entity headquartered there (or whose
  ultimate parent is), wherever located, **if** a notification was submitted in SNAP-R **at least 25 calendar
  days** before the export (740.8(c)(1)) and BIS did not object. **ACA** (Advanced Compute Authorized) covers the
  same items to every other destination, without notice.
* Neither covers "items designed or marketed for use in a datacenter and meeting the parameters of 3A090.a".
* Neither is available when a part 744 or 746 licence requirement applies (740.8(b)): those rules do not list the
  exceptions in their ``license_exceptions``, so an exception on file never covers them.

An entry on the order (``licenses[]`` with ``exception: NAC|ACA`` and, for NAC, ``notified``) covers a rule only
when the rule lists the exception, the line is eligible, and for NAC the 25 days have run. What the engine cannot
check and leaves to the exporter: that BIS did not object within the 25 days (740.8(c)(2)), the written purchase
order (740.8(a)(1)), the NAC limits on items, consignees and distributors in BIS's NAC guidance.

The country tests read the groups the bundled us-ear pack defines (``D:5`` and the one-member ``MO`` group).
"""

from __future__ import annotations

import datetime as dt

from compliance.evaluate.facts import Line
from compliance.models.pack import LicenseRule
from compliance.models.transaction import License

__all__ = ["NAC_NOTICE_DAYS", "exception_covers", "exception_refusal"]

NAC_NOTICE_DAYS = 25  # 15 CFR 740.8(c)(1): "at least twenty-five calendar days prior to exports or reexports"

_NAC_GROUPS = ("D:5", "MO")


def _datacenter_3a090a(line: Line) -> bool:
    facts = line.facts
    if facts.datacenter == "no":
        return False
    if ("us-ear", "3A090.a") in facts.codes or ("us-ear", "4A090.a") in facts.codes:
        return True
    tpp = facts.specs.get("tpp")
    pd = facts.specs.get("performance_density")
    return tpp is not None and (tpp >= 4800 or (tpp >= 1600 and pd is not None and pd >= 5.92))


def _needs_nac(line: Line) -> bool:
    facts = line.facts
    return (
        facts.destination == "MO"
        or any(g in facts.dest_groups for g in _NAC_GROUPS)
        or any(g in facts.party_hq_groups for g in _NAC_GROUPS)
    )


def exception_refusal(terms: License, rule: LicenseRule, on: dt.date, line: Line) -> str | None:
    """Why the licence exception ``terms`` does not cover ``rule`` on ``line``; ``None`` when it does."""
    exception = terms.exception
    if exception is None:
        return None
    name = f"{exception} entry {terms.id}"
    if exception not in (rule.license_exceptions or ()):
        return f"{name}: License Exception {exception} cannot overcome this requirement"
    if ("us-ear", "3A090.c") in line.facts.codes:
        return f"{name}: 3A090.c is not eligible for NAC/ACA (15 CFR 740.8(a))"
    if _datacenter_3a090a(line):
        return (
            f"{name}: items designed or marketed for datacenters meeting 3A090.a are excluded from NAC/ACA "
            "(15 CFR 740.8(a)); an item not stated to be non-datacenter counts as datacenter"
        )
    if _needs_nac(line):
        if exception != "NAC":
            return f"{name}: the destination or a party's headquarters is Macau or D:5, so NAC (with notice) applies"
        assert terms.notified is not None  # the License model requires it for NAC
        ready = terms.notified + dt.timedelta(days=NAC_NOTICE_DAYS)
        if on < ready:
            return (
                f"{name}: notified on {terms.notified}; exports may follow {NAC_NOTICE_DAYS} calendar days later, "
                f"from {ready} (15 CFR 740.8(c)(1))"
            )
    return None


def exception_covers(terms: License, rule: LicenseRule, on: dt.date, line: Line) -> bool:
    return exception_refusal(terms, rule, on, line) is None
