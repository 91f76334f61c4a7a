"""Can a photo's capture hour be trusted? The gate checks "at dawn" / "at night" against it only when it can.

EXIF ``DateTimeOriginal`` is the camera's local clock, with no time zone of its own. It misleads the gate in two ways
the photo itself can reveal:

- the time is the file's ``DateTime`` (when it was last *edited*), because ``DateTimeOriginal`` is missing;
- the camera clock is in another time zone than the place (a travelling photographer who never changed it). The
  photo says so when it carries a second clock: the GPS time (always UTC) and/or ``OffsetTimeOriginal`` (the zone the
  camera believes it is in), against each other and against the longitude (the sun's own zone, ``lon / 15`` hours).

Civil zones run *ahead* of the sun's by up to about three hours (western China keeps UTC+8 at 75° E, Alaska's
summer time at Nome) but hardly ever *behind* it by more than one (eastern China, eastern India), so a clock counts as
another zone's only when it is more than :data:`ZONE_AHEAD_H` ahead of the sun or :data:`ZONE_BEHIND_H` behind. A clock judged untrusted never makes the gate refuse; it only stops the
time-of-day check, and the reason is kept in the row's EXIF notes.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

__all__ = ["ClockVerdict", "judge_clock", "parse_offset"]

#: How far (hours) a zone may run ahead of / behind the sun's (lon / 15) before the clock counts as another zone's.
ZONE_AHEAD_H, ZONE_BEHIND_H = 4.0, 2.0
#: How far (minutes) the camera's declared offset may disagree with its GPS time (GPS fixes lag a little).
OFFSET_SLACK_MIN = 75

_OFFSET_RE = re.compile(r"^\s*([+-])(\d{1,2}):?(\d{2})\s*$")
_FMT = "%Y:%m:%d %H:%M:%S"


@dataclass(frozen=True)
class ClockVerdict:
    """``trusted`` False means: do not judge time-of-day words by this photo's hour; ``note`` says why."""

    trusted: bool = True
    note: str = ""


def parse_offset(text: str | None) -> int | None:
    """``+05:30`` → 330 minutes; anything else (empty, ``   :  ``, out of range) → None."""
    m = _OFFSET_RE.match(text or "")
    if not m:
        return None
    minutes = int(m.group(2)) * 60 + int(m.group(3))
    if int(m.group(3)) >= 60 or minutes > 14 * 60:
        return None
    return -minutes if m.group(1) == "-" else minutes


def _hours(minutes: float) -> str:
    sign = "-" if minutes < 0 else "+"
    minutes = abs(round(minutes))
    return f"UTC{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")


def _ahead_h(a_min: float, b_min: float) -> float:
    """Hours offset ``a`` runs ahead of ``b`` on the 24-hour circle, in (-12, 12] (Kiribati's +14 is half an hour
    ahead of the sun's -10.5 there, not 24.5)."""
    d = (a_min - b_min) % (24 * 60)
    return (d - 24 * 60 if d > 12 * 60 else d) / 60


def _circular_gap_h(a_min: float, b_min: float) -> float:
    """Hours between two UTC offsets on the 24-hour circle."""
    return abs(_ahead_h(a_min, b_min))


def judge_clock(local: str | None, *, from_edit_time: bool = False, offset: str | None = None,
                gps_utc: str | None = None, lon: float | None = None) -> ClockVerdict:
    """Judge the capture clock of one photo.

    ``local`` is ``YYYY:MM:DD HH:MM:SS`` as stored; ``from_edit_time`` says it came from ``DateTime``; ``offset`` is
    ``OffsetTimeOriginal`` (``+02:00``); ``gps_utc`` the GPS date and time (``YYYY:MM:DD HH:MM:SS``, or only
    ``HH:MM:SS`` when the GPS date is missing); ``lon`` the GPS longitude.
    """
    if not local:
        return ClockVerdict()  # no time at all: the gate has nothing to judge by anyway
    if from_edit_time:
        return ClockVerdict(False, "capture time is the file's DateTime (when it was edited, not taken): "
                                   "time-of-day words are not checked against it")
    try:
        local_dt = _dt.datetime.strptime(local, _FMT)
    except ValueError:
        return ClockVerdict()
    declared = parse_offset(offset)
    sun = lon * 4 if lon is not None else None  # minutes: 15° of longitude is one hour
    implied = _implied_offset(local_dt, gps_utc)
    if implied is not None and abs(implied) > 14 * 60 + OFFSET_SLACK_MIN:
        return ClockVerdict(False, f"the camera clock is {abs(implied) / 60:.0f} h away from the GPS time (UTC): "
                                   "its date or time is wrong; time-of-day words are not checked against it")
    if implied is not None and declared is not None:
        gap_h = _circular_gap_h(implied, declared)
        if gap_h * 60 > OFFSET_SLACK_MIN:
            return ClockVerdict(False, f"the camera clock ({_hours(declared)} declared) disagrees with its GPS "
                                       f"time by {gap_h:.1f} h; time-of-day words are not checked against it")
    # the two clocks agree (or only one is there): is that zone the place's?
    zone = implied if implied is not None else declared
    if zone is not None and sun is not None and not -ZONE_BEHIND_H <= _ahead_h(zone, sun) <= ZONE_AHEAD_H:
        how = "GPS time" if implied is not None else "OffsetTimeOriginal"
        return ClockVerdict(False, f"the camera clock runs on {_hours(zone)} (from its {how}) but the photo was "
                                   f"taken at longitude {lon:.1f}° (about {_hours(sun)}): a clock left in another "
                                   "time zone; time-of-day words are not checked against it")
    return ClockVerdict()


def _implied_offset(local_dt: _dt.datetime, gps_utc: str | None) -> float | None:
    """Local clock minus GPS UTC, in minutes; with a GPS time but no GPS date, taken on the 24-hour circle."""
    if not gps_utc:
        return None
    text = gps_utc.strip()
    try:
        if len(text) > 8:
            return (local_dt - _dt.datetime.strptime(text, _FMT)).total_seconds() / 60
        t = _dt.datetime.strptime(text, "%H:%M:%S").time()
    except ValueError:
        return None
    diff = (local_dt.hour * 60 + local_dt.minute) - (t.hour * 60 + t.minute)
    return (diff + 12 * 60) % (24 * 60) - 12 * 60  # in [-12 h, +12 h): no date, so the nearest day
