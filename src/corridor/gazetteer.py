"""Resolve what a user types (an id, a name in any of its forms, an area, a country) to places."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from .datasets import SAME_PORT_KM, WPI_FILE, Place
from .errors import PlaceError, UsageError

UNLOCODE_FILE = Path("ports/unlocode.csv")
EXONYMS_FILE = Path("ports/exonyms.csv")
CODE = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}$")
# World Port Index harbour sizes, smallest first: a name shared by a large port and only much
# smaller ones (two classes or more) means the large one ("Alexandria" is Egypt's port).
SIZE_RANK = {"very_small": 1, "small": 2, "medium": 3, "large": 4}
# Suggestions must score at least this (rapidfuzz WRatio, 0-100) to be offered at all.
SUGGEST_CUTOFF = 86.0
HARBOUR_WORD = re.compile(r"(.{3,}?)\s+(?:ko|kou|gang|kang|harbor|harbour)", flags=re.IGNORECASE)

_SEPARATORS = re.compile(r"[\s\-_'’.,()/]+")
# What ends "NAME, CC" or "NAME (CC)": found from the comma or bracket on, so that a long run of
# spaces is not tried at every length of the name before it.
_COUNTRY_SUFFIX = re.compile(r"[,(]\s*([A-Za-z]{2})\s*\)?\Z")


def normalize(text: str) -> str:
    """Fold case, accents, hyphens and repeated spaces so that near-spellings compare equal."""
    if text.isascii():  # nothing to decompose: the common case, and ten times faster
        plain = text
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", plain.casefold()).strip()


def compact(text: str) -> str:
    """Return a name folded as `normalize` does, with only its letters and digits left, so that
    spellings that differ in spaces and punctuation compare equal ("Mai-liao", "Mailiao")."""
    return re.sub(r"[^0-9a-z]+", "", normalize(text))


def name_forms(text: str) -> list[str]:
    """Return the names a written name stands for: itself, and the forms it gives in brackets.

    "Kolkata (ex Calcutta)" gives Kolkata and Calcutta; "Chennai (Madras)" gives Chennai and
    Madras; "Mina Zayed/Abu Dhabi" (a terminal of a city) gives itself and Mina Zayed, never the
    city alone; "Nagoya Ko" (Japanese for Nagoya Harbour) gives Nagoya too.
    """
    forms = [text]
    match = re.fullmatch(r"\s*(.+?)\s*\(\s*(?:ex\s+|formerly\s+)?(.+?)\s*\)\s*", text, flags=re.IGNORECASE)
    if match:
        forms += [match.group(1), match.group(2)]
    if "/" in text and not match:
        forms.append(text.split("/", 1)[0])
    # "Nagoya Ko", "Qingdao Gang", "Doha Harbor": the word for harbour is often left out.
    forms += [m.group(1) for f in list(forms) if (m := HARBOUR_WORD.fullmatch(f))]
    return [f for f in dict.fromkeys(f.strip() for f in forms) if f]


def unqualified(text: str) -> str | None:
    """Return the name before the region UN/LOCODE writes after a comma ("Sandakan, Sabah",
    "Bitung, Sulawesi", "Mahon, Menorca"), or None if `text` has none."""
    head, comma, _ = text.partition(",")
    head = head.strip()
    return head if comma and len(head) >= 3 else None


@dataclass(frozen=True)
class Target:
    """A resolved origin or destination: one place, or an area of several places."""

    label: str
    place_ids: tuple[str, ...]
    area: str = ""

    @property
    def is_area(self) -> bool:
        return bool(self.area)


def _shown(text: str, limit: int = 80) -> str:
    """A name as an error message repeats it: cut short if it is very long."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _name_and_country(query: str) -> tuple[str, str] | None:
    r"""Return (NAME, CC) of a stripped query written "NAME, CC" or "NAME (CC)", else None.

    What `re.fullmatch(r"(.+?)\s*(?:,\s*|\(\s*)([A-Za-z]{2})\s*\)?", query)` gives, in time linear in
    the query: that pattern tries every length of the name against the spaces after it, quadratic
    in a run of spaces (100,000 of them took 35 s, the million a request may send about an hour).
    """
    found = _COUNTRY_SUFFIX.search(query)
    if found is None:
        return None
    name = query[: found.start()].rstrip()  # the spaces before the comma or bracket are not the name's
    if not name or "\n" in name:  # the name is one line of at least one character
        return None
    return name, found.group(1)


class Gazetteer:
    """An index of place ids, names, aliases and areas, with the other names places go by.

    Ids and the dataset's own names and aliases are indexed at once; the UN/LOCODE names and
    English exonyms of the dataset (`ports/unlocode.csv`, `ports/exonyms.csv` under `root`) are
    read on the first lookup by name, so resolving an id reads no table at all.
    """

    def __init__(self, places: Mapping[str, Place], *, root: Path | None = None):
        self.places = places
        self.root = root
        self.ids: dict[str, str] = {}
        self.areas: dict[str, list[str]] = {}
        self.area_labels: dict[str, str] = {}
        self._names: dict[str, list[str]] | None = None
        self._read_names: Callable[[], dict[str, list[str]]] | None = None
        self._exonyms: set[tuple[str, str]] | None = None
        # The corridor's own places win over any other place of the same name, so a name of
        # theirs is answered from this small index without building the big one.
        self.curated: dict[str, list[str]] = {}
        for place in places.values():
            self.ids[place.id.casefold()] = place.id
            if place.origin == "curated":
                for text in (place.name, *place.aliases):
                    for form in name_forms(text):
                        bucket = self.curated.setdefault(normalize(form), [])
                        if place.id not in bucket:
                            bucket.append(place.id)
            if place.area:
                key = normalize(place.area)
                self.areas.setdefault(key, []).append(place.id)
                self.area_labels[key] = place.area

    def to_data(self) -> dict:
        """Return the whole index as plain data (other names included), so a cached network
        need not rebuild it."""
        return {
            "ids": self.ids, "curated": self.curated, "names": self.names, "areas": self.areas,
            "area_labels": self.area_labels,
        }  # fmt: skip

    @classmethod
    def from_data(cls, places: Mapping[str, Place], data: dict, *, root: Path | None = None) -> Gazetteer:
        """Return a gazetteer over `places` with the index `to_data` gave."""
        gazetteer = cls.__new__(cls)
        gazetteer.places = places
        gazetteer.root = root
        gazetteer.ids = dict(data["ids"])
        gazetteer.curated = {k: list(v) for k, v in data["curated"].items()}
        names = data["names"]  # the index itself, or a function returning it (read when first needed)
        gazetteer._names = None if callable(names) else names
        gazetteer._read_names = names if callable(names) else None
        gazetteer._exonyms = None
        gazetteer.areas = {k: list(v) for k, v in data["areas"].items()}
        gazetteer.area_labels = dict(data["area_labels"])
        return gazetteer

    @property
    def names(self) -> dict[str, list[str]]:
        """Normalised name -> ids of the places it names (own names first, then other names)."""
        if self._names is None and self._read_names is not None:
            self._names = self._read_names()
        if self._names is None:
            names: dict[str, list[str]] = {}

            # Names a place goes by that are neither its own nor a table's, kept for after: a name
            # written without the region after its comma ("Sandakan" is "Sandakan, Sabah"), and the
            # World Port Index's names of the ports the corridor's places stand for ("Port
            # Swettenham"). Each names the place unless it is already another place's name:
            # "Freeport" stays the ports of that name, not also Freeport, Grand Bahama.
            later: list[tuple[str, str]] = []  # (normalised name, place id)

            def put(key: str, pid: str) -> None:
                bucket = names.setdefault(key, [])
                if pid not in bucket:
                    bucket.append(pid)

            def add(text: str, pid: str) -> None:
                for form in name_forms(text):
                    put(normalize(form), pid)
                if head := unqualified(text):
                    later.extend((normalize(form), pid) for form in name_forms(head))

            for place in self.places.values():
                for text in (place.name, *place.aliases):
                    add(text, place.id)
            for text, pid in self._other_names():
                add(text, pid)
            later.extend((normalize(form), pid) for text, pid in self._superseded_names() for form in name_forms(text))
            taken = set(names)
            for key, pid in later:
                if key not in taken:
                    put(key, pid)
            self._names = names
        return self._names

    def _other_names(
        self, tables: Iterable[tuple[Path, str]] = ((UNLOCODE_FILE, "unlocode"), (EXONYMS_FILE, "id"))
    ) -> Iterable[tuple[str, str]]:
        """Yield (name, place id) from the dataset's UN/LOCODE and exonym tables (or those of
        `tables`: file and the column naming the place).

        A UN/LOCODE row whose `place` names a place is another port's entry that UN/LOCODE puts
        beside that place under its name (`scripts/prepare_names.py`): its code and its name
        both lead there (INVTZ, Visakhapatnam, to the World Port Index's Vishakhapatnam)."""
        if self.root is None:
            return
        by_code = self._by_code()
        for file, column in tables:
            path = self.root / file
            if not path.is_file():
                continue
            with path.open(encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    pid = by_code.get((row.get(column) or "").upper()) or (
                        row.get(column) if row.get(column) in self.places else None
                    )
                    beside = row.get("place") or ""
                    if pid is None and beside in self.places:
                        pid = beside
                        yield row[column], pid
                    if pid and row.get("name"):
                        yield row["name"], pid

    def _by_code(self) -> dict[str, str]:
        """Return UN/LOCODE -> place id: the places whose id is a code, and the codes among the
        corridor's own places' aliases."""
        by_code = {pid.upper(): pid for pid in self.places if CODE.match(pid.upper())}
        for place in self.places.values():
            if place.origin == "curated":
                by_code.update({a.upper(): place.id for a in place.aliases if CODE.match(a.upper())})
        return by_code

    def _superseded_names(self) -> list[tuple[str, str]]:
        """Return (name, place id) for the World Port Index names and alternative names of the
        ports the corridor's own places stand for (the index's Port Klang is also Port Kelang and
        Port Swettenham): an index entry whose code is a curated place's id or alias, within
        SAME_PORT_KM of it, so a wrong code in the index lends no names."""
        from .geo import haversine_km

        if self.root is None or not (self.root / WPI_FILE).is_file():
            return []
        curated = {
            code: self.places[pid] for code, pid in self._by_code().items() if self.places[pid].origin == "curated"
        }
        found = []
        with (self.root / WPI_FILE).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                standing = curated.get((row.get("unlocode") or "").upper())
                if standing is None:
                    continue
                try:
                    near = (
                        haversine_km(standing.lon, standing.lat, float(row["lon"]), float(row["lat"])) <= SAME_PORT_KM
                    )
                except (TypeError, ValueError):
                    near = False
                if near:
                    texts = [row.get("name") or "", *(row.get("alt_name") or "").split(";")]
                    found += [(text.strip(), standing.id) for text in texts if text.strip()]
        return found

    def codes_beside(self, place_id: str) -> list[tuple[str, str]]:
        """Return (code, name) of the other ports' UN/LOCODE entries that lead to a place: those
        UN/LOCODE puts beside it under its name (`place` in `ports/unlocode.csv`)."""
        path = self.root / UNLOCODE_FILE if self.root is not None else None
        if path is None or not path.is_file():
            return []
        with path.open(encoding="utf-8", newline="") as handle:
            return [(row["unlocode"], row["name"]) for row in csv.DictReader(handle) if row.get("place") == place_id]

    def resolve(self, text: str, *, usable: Iterable[str] | None = None) -> Target:
        """Return the place or area `text` names; raise PlaceError with close candidates.

        `usable` restricts the answer to places that can be routed (operational ones).
        """
        query = text.strip()
        if not query:
            raise PlaceError("empty place name")
        allowed = set(usable) if usable is not None else None
        country = None
        match = _name_and_country(query)
        plain = normalize(query)
        if match and plain not in self.areas and self.ids.get(query.casefold()) is None and plain not in self.names:
            query, country = match[0], match[1].upper()

        pid = self.ids.get(query.casefold())
        if pid is not None and country is None:
            # A code written otherwise than as the code, that is another place's name, is both:
            # "Gaeta" is Gaeta, Italy, and GAETA the code of Etame Terminal, Gabon.
            named = () if query == pid else (*self.curated.get(plain, ()), *self.names.get(plain, ()))
            others = [p for p in dict.fromkeys(named) if p != pid and (allowed is None or p in allowed)]
            if not others:
                return Target(self._label(pid), (pid,))
            self._ambiguous(text, [pid, *others])
        key = normalize(query)
        if key in self.areas and country is None:
            members = [p for p in self.areas[key] if allowed is None or p in allowed]
            if members:
                return Target(self.area_labels[key], tuple(members), area=self.area_labels[key])
        ids = list(self.curated.get(key, ())) if country is None else []
        ids = ids or list(self.names.get(key, ()))
        if country is not None:
            ids = [p for p in ids if self.places[p].country == country]
        ids = self._exonym_first(key, ids)
        if allowed is not None and len(ids) > 1:
            ids = [p for p in ids if p in allowed] or ids
        # Without a country, a curated place reaching here matched by another name only (its own
        # names are answered above): it does not win over ports whose own name this is.
        ids = self._prefer(ids, curated_first=country is not None)
        if len(ids) == 1:
            place = self.places[ids[0]]
            return Target(place.name, (place.id,))
        if len(ids) > 1:
            areas = {self.places[p].area for p in ids}
            if len(areas) == 1 and "" not in areas:
                label = areas.pop()
                return Target(label, tuple(ids), area=label)
            self._ambiguous(text, ids)
        candidates = self.suggest(query)
        hint = f"; did you mean {', '.join(candidates)}?" if candidates else ""
        raise PlaceError(f"unknown place {_shown(text)!r}{hint}", candidates, unknown=True)

    def _label(self, pid: str) -> str:
        """A place's name as answers show it: with its id where the name is an area it is not in
        (a user's port named Chongqing is not the Chongqing area, and a message must tell them apart)."""
        place = self.places[pid]
        members = self.areas.get(normalize(place.name), ())
        return f"{place.name} ({pid})" if members and pid not in members else place.name

    def _ambiguous(self, text: str, ids: list[str]) -> NoReturn:
        """Raise PlaceError listing the places `text` may mean, the largest harbours first."""
        ids = sorted(ids, key=lambda p: (-SIZE_RANK.get(self.places[p].harbor_size, 0), self.places[p].country, p))
        listed = ", ".join(self.describe(p) for p in ids[:8])
        more = f" and {len(ids) - 8} more" if len(ids) > 8 else ""
        raise PlaceError(
            f"{_shown(text)!r} is ambiguous: {listed}{more}; give an id or 'NAME, CC'",
            [self.describe(p) for p in ids],
        )

    def _exonym_first(self, key: str, ids: list[str]) -> list[str]:
        """Of several places a name matches, keep those the English exonym table gives for it:
        that table says what a usual English name means, where UN/LOCODE's names may repeat
        another port's ("Fuzhou" is also UN/LOCODE's name for the code of Zhangzhou)."""
        if len(ids) < 2:
            return ids
        if self._exonyms is None:
            self._exonyms = {
                (normalize(form), pid)
                for text, pid in self._other_names(((EXONYMS_FILE, "id"),))
                for form in name_forms(text)
            }
        return [p for p in ids if (key, p) in self._exonyms] or ids

    def _prefer(self, ids: list[str], *, curated_first: bool = True) -> list[str]:
        """Narrow several places of one name: a curated corridor place wins over World Port Index
        ports (with `curated_first`), and a port two or more harbour-size classes larger than
        every other wins too."""
        if len(ids) < 2:
            return ids
        curated = [p for p in ids if self.places[p].origin == "curated"] if curated_first else []
        if curated:
            return curated
        ranked = sorted(ids, key=lambda p: -SIZE_RANK.get(self.places[p].harbor_size, 0))
        top = SIZE_RANK.get(self.places[ranked[0]].harbor_size, 0)
        if all(top - SIZE_RANK.get(self.places[p].harbor_size, 0) >= 2 for p in ranked[1:]):
            return ranked[:1]
        return ids

    def describe(self, pid: str) -> str:
        place = self.places[pid]
        return f"{place.name} ({place.country}, {place.id})"

    def suggest(self, query: str, limit: int = 5) -> list[str]:
        """Return descriptions of the places whose id, name or alias is close to `query`.

        Ranked by rapidfuzz; nothing is offered rather than names that merely share a few
        letters ("Atlantis" suggests nothing, not Atlanta's nearest port).
        """
        from rapidfuzz import fuzz, process, utils

        if len(query) > 200:
            return []  # no place has a name that long: nothing is close to it
        key = normalize(query)
        out: list[str] = []
        choices = [*self.names, *self.areas]
        found = process.extract(
            key, choices, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit * 3, score_cutoff=0
        )
        for choice, score, _ in found:
            # WRatio rewards a short query found inside a long name, so a partial match must also be
            # close as a whole; a whole-name match one or two letters off ("Alpah") always counts.
            whole = fuzz.ratio(key, choice)
            if whole < 80 and (score < SUGGEST_CUTOFF or whole < 70):
                continue
            if choice in self.areas:
                label = f"{self.area_labels[choice]} (area)"
                if label not in out:
                    out.append(label)
                continue
            for pid in self.names[choice]:
                label = self.describe(pid)
                if label not in out:
                    out.append(label)
        upper = query.strip().upper()
        if len(upper) == 5 and upper.isalnum():
            # A mistyped UN/LOCODE: offer ids of the same country one letter away.
            same = [pid for cf, pid in self.ids.items() if cf.startswith(upper[:2].casefold())]
            for pid, _score, _ in process.extract(upper, same, scorer=fuzz.ratio, limit=2, score_cutoff=80):
                label = self.describe(pid)
                if label not in out:
                    out.append(label)
        return out[:limit]


# --------------------------------------------------------------------------- countries


def country_code(text: str, countries: Mapping[str, str]) -> str:
    """Return the ISO 3166 alpha-2 code for a code or a country name ("VN", "Vietnam", "Viet Nam").

    `countries` are the dataset's codes and names; pycountry supplies official and common
    names besides. Raise UsageError naming the closest countries when nothing matches.
    """
    query = text.strip()
    if not query:
        raise UsageError("--country is empty: give an ISO 3166 code (VN) or a country name (Vietnam)", "country")
    upper = query.upper()
    if len(upper) == 2 and upper.isalpha():
        if upper in countries or _pycountry_name(upper):
            return upper
        raise UsageError(f"--country {query!r} is not an ISO 3166 alpha-2 code", "country")
    key = normalize(query)
    for code, name in countries.items():
        if normalize(name) == key:
            return code
    import pycountry

    try:
        found = pycountry.countries.lookup(query)
    except LookupError:
        found = None
    if found is not None:
        return found.alpha_2
    try:
        fuzzy = pycountry.countries.search_fuzzy(query)
    except LookupError:
        fuzzy = []
    names = dict(countries)
    for country in fuzzy[:3]:
        names.setdefault(country.alpha_2, country.name)
    close = [f"{names[c.alpha_2]} ({c.alpha_2})" for c in fuzzy[:3]]
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UsageError(f"--country {query!r} is not a known country{hint}", "country")


def country_label(countries: Mapping[str, str], code: str) -> str:
    """Return "Vietnam (VN)" for a code the dataset names, else the code."""
    name = countries.get(code)
    return f"{name} ({code})" if name else code


def _pycountry_name(code: str) -> str:
    import pycountry

    found = pycountry.countries.get(alpha_2=code)
    return found.name if found is not None else ""
