"""Resolve what a user types (an id, a name, an alias, an area) to places."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .datasets import Place
from .errors import PlaceError

_SEPARATORS = re.compile(r"[\s\-_'’.,()/]+")


def normalize(text: str) -> str:
    """Fold case, accents, hyphens and repeated spaces so that near-spellings compare equal."""
    if text.isascii():  # nothing to decompose: the common case, and ten times faster
        plain = text
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", plain.casefold()).strip()


@dataclass(frozen=True)
class Target:
    """A resolved origin or destination: one place, or an area of several places."""

    label: str
    place_ids: tuple[str, ...]
    area: str = ""

    @property
    def is_area(self) -> bool:
        return bool(self.area)


class Gazetteer:
    """An index of place ids, names, aliases and areas."""

    def __init__(self, places: Mapping[str, Place]):
        self.places = places
        self.ids: dict[str, str] = {}
        self.names: dict[str, list[str]] = {}
        self.areas: dict[str, list[str]] = {}
        self.area_labels: dict[str, str] = {}
        for place in places.values():
            self.ids[place.id.casefold()] = place.id
            for text in (place.name, *place.aliases):
                bucket = self.names.setdefault(normalize(text), [])
                if place.id not in bucket:
                    bucket.append(place.id)
            if place.area:
                key = normalize(place.area)
                self.areas.setdefault(key, []).append(place.id)
                self.area_labels[key] = place.area

    def to_data(self) -> dict:
        """Return the index as plain data, so a cached network need not rebuild it."""
        return {"ids": self.ids, "names": self.names, "areas": self.areas, "area_labels": self.area_labels}

    @classmethod
    def from_data(cls, places: Mapping[str, Place], data: dict) -> Gazetteer:
        """Return a gazetteer over `places` with the index `to_data` gave."""
        gazetteer = cls.__new__(cls)
        gazetteer.places = places
        gazetteer.ids = dict(data["ids"])
        gazetteer.names = {k: list(v) for k, v in data["names"].items()}
        gazetteer.areas = {k: list(v) for k, v in data["areas"].items()}
        gazetteer.area_labels = dict(data["area_labels"])
        return gazetteer

    def resolve(self, text: str, *, usable: Iterable[str] | None = None) -> Target:
        """Return the place or area `text` names; raise PlaceError with close candidates.

        `usable` restricts the answer to places that can be routed (operational ones).
        """
        query = text.strip()
        if not query:
            raise PlaceError("empty place name")
        allowed = set(usable) if usable is not None else None
        country = None
        match = re.fullmatch(r"(.+?)\s*(?:,\s*|\(\s*)([A-Za-z]{2})\s*\)?", query)
        if match and normalize(query) not in self.names:
            query, country = match.group(1), match.group(2).upper()

        pid = self.ids.get(query.casefold())
        if pid is not None and country is None:
            return Target(self.places[pid].name, (pid,))
        key = normalize(query)
        if key in self.areas and country is None:
            members = [p for p in self.areas[key] if allowed is None or p in allowed]
            if members:
                return Target(self.area_labels[key], tuple(members), area=self.area_labels[key])
        ids = list(self.names.get(key, ()))
        if country is not None:
            ids = [p for p in ids if self.places[p].country == country]
        if allowed is not None and len(ids) > 1:
            ids = [p for p in ids if p in allowed] or ids
        if len(ids) > 1:
            # A curated corridor place wins over a World Port Index port of the same name.
            ids = [p for p in ids if self.places[p].origin == "curated"] or ids
        if len(ids) == 1:
            place = self.places[ids[0]]
            return Target(place.name, (place.id,))
        if len(ids) > 1:
            areas = {self.places[p].area for p in ids}
            if len(areas) == 1 and "" not in areas:
                label = areas.pop()
                return Target(label, tuple(ids), area=label)
            listed = ", ".join(self.describe(p) for p in ids[:8])
            more = f" and {len(ids) - 8} more" if len(ids) > 8 else ""
            raise PlaceError(
                f"{text!r} is ambiguous: {listed}{more}; give an id or 'NAME, CC'",
                [self.describe(p) for p in ids],
            )
        candidates = self.suggest(query)
        hint = f"; did you mean {', '.join(candidates)}?" if candidates else ""
        raise PlaceError(f"unknown place {text!r}{hint}", candidates)

    def describe(self, pid: str) -> str:
        place = self.places[pid]
        return f"{place.name} ({place.country}, {place.id})"

    def suggest(self, query: str, limit: int = 5) -> list[str]:
        """Return descriptions of the places whose id, name or alias is closest to `query`."""
        key = normalize(query)
        keys = list(self.names) + list(self.areas)
        close = difflib.get_close_matches(key, keys, n=limit * 2, cutoff=0.6)
        prefixed = [k for k in keys if k.startswith(key) and k not in close] if len(key) >= 3 else []
        out: list[str] = []
        for k in [*close, *sorted(prefixed)]:
            if k in self.areas:
                label = f"{self.area_labels[k]} (area)"
                if label not in out:
                    out.append(label)
                continue
            for pid in self.names[k]:
                label = self.describe(pid)
                if label not in out:
                    out.append(label)
            if len(out) >= limit:
                break
        upper = query.strip().upper()
        if len(upper) == 5 and upper.isalnum():
            # A mistyped UN/LOCODE: offer ids of the same country.
            same = [pid for cf, pid in self.ids.items() if cf.startswith(upper[:2].casefold())]
            for pid in difflib.get_close_matches(upper, same, n=2, cutoff=0.6):
                label = self.describe(pid)
                if label not in out:
                    out.append(label)
        return out[:limit]
