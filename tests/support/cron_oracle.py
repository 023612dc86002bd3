#!/usr/bin/python3
"""croniter's answers for tests/unit/cron/test_differential.cpp, one batch per run.

Run with Debian's /usr/bin/python3 (python3-croniter 1.3.5, zones from the system tzdata via
zoneinfo). Input: a file of tab-separated lines
  N <id> <zone> <start, epoch seconds> <count> <expression>   the next <count> fire times
  V <id> <expression>                                         does croniter accept it?
Output: one JSON object per input line, in order, after a first line {"croniter": version}.

For N lines every step holds croniter's own answer: "v" (epoch seconds; null when croniter
raised CroniterBadDateError). When one of the croniter bugs listed in lib/cron/schedule.cpp was
at work in that step, "flags" names it and "fixed" is what croniter's own search (_calc) gives
with exactly those bugs taken out; the C++ side accepts a different answer only if it equals
"fixed", and then stops comparing that case (croniter's state has diverged).
"""
import importlib.metadata
import json
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from croniter.croniter import CroniterBadDateError, CroniterError, croniter


class Observed(croniter):
    """croniter whose day-of-month search is watched and, with fix_overshoot, corrected."""

    fix_overshoot = False
    overshoot = False

    def _get_next_nearest_diff(self, x, to_check, range_val):
        # Only the day-of-month search passes a month length (28-31) as range_val.
        if 28 <= range_val <= 31:
            days = [range_val if d == "l" else d for d in to_check]
            first = next((d for d in days if d >= x), None)
            if first is not None and first > range_val:  # bug 3: a day this month lacks
                if self.fix_overshoot:
                    inside = [d for d in days if x <= d <= range_val]
                    return min(inside) - x if inside else range_val - x + 1
                self.overshoot = True
        return super()._get_next_nearest_diff(x, to_check, range_val)


def search(cr, now, fixed):
    """get_next without its DST "lag" correction (bug 1): croniter's _calc, with the day_or
    branches as _get_next combines them. fixed: a branch that raises yields to the other (bug 4)
    and the overshoot is corrected (bug 3). Returns (timestamp or None, a branch raised)."""
    cr.fix_overshoot = fixed
    try:
        expanded = [list(e) for e in cr.expanded]

        def calc(exp):
            nth = {k: set(v) for k, v in cr.nth_weekday_of_month.items()}
            try:
                return cr._calc(now, exp, nth, False)
            except CroniterBadDateError:
                return None

        if expanded[2][0] != "*" and expanded[4][0] != "*":
            t1 = calc(expanded[:4] + [["*"]])
            t2 = calc(expanded[:2] + [["*"]] + expanded[3:])
            found = [t for t in (t1, t2) if t is not None]
            if len(found) < 2 and not fixed:
                return None, bool(found)
            return (min(found) if found else None), False
        return calc(expanded), False
    finally:
        cr.fix_overshoot = False


def after_wall(cr, t):
    """The start from which _calc searches on from the wall minute after t's (first pass)."""
    wall = datetime.fromtimestamp(t, tz=cr.tzinfo).replace(tzinfo=None, fold=0)
    return (wall + timedelta(minutes=1)).replace(tzinfo=cr.tzinfo).timestamp() - 60


def fixed_next(cr, now):
    """The answer with the flagged bugs taken out; from the second pass of a repeated hour,
    wall times that already fired in the first pass are passed over (bug 2)."""
    t, _ = search(cr, now, True)
    while t is not None and t <= now:
        t, _ = search(cr, after_wall(cr, t), True)
    return None if t is None else int(t)


def parse(expression, start):
    """croniter for the expression, or None when it rejects it. croniter 1.3.5 reports some
    rejections ("L-5") as a NameError: its exec-based re-raise fails on Python 3.11."""
    try:
        return Observed(expression, start)
    except (CroniterError, NameError):
        return None


def next_times(cr, count):
    steps = []
    for _ in range(count):
        now = cr.cur
        cr.overshoot = False
        plain, branch_raised = search(cr, now, False)
        overshoot = cr.overshoot
        try:
            value = int(cr.get_next(datetime).timestamp())
        except CroniterBadDateError:
            value = None
        flags = []
        if overshoot:
            flags.append("dom_overshoot")
        if value is not None and plain is not None and value != int(plain):
            flags.append("dst_lag")
        if value is not None and value <= now:
            flags.append("not_after")
        if value is None and branch_raised:
            flags.append("or_raise")
        step = {"v": value}
        if flags:
            step["flags"] = flags
            step["fixed"] = fixed_next(cr, now)
        steps.append(step)
        if value is None:
            break
    return steps


def main(path):
    print(json.dumps({"croniter": importlib.metadata.version("croniter")}))
    with open(path, encoding="utf-8") as batch:
        for line in batch:
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "N":
                _, case, zone, start, count, expression = parts
                cr = parse(expression, datetime.fromtimestamp(int(start), tz=ZoneInfo(zone)))
                out = {"id": int(case)}
                if cr is None:
                    out["error"] = "rejected"
                else:
                    out["steps"] = next_times(cr, int(count))
            elif parts[0] == "V":
                _, case, expression = parts
                out = {"id": int(case), "valid": parse(expression, 0) is not None}
            else:
                raise SystemExit("cron_oracle.py: bad input line: " + line)
            print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
