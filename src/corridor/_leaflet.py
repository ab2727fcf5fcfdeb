"""Folium building blocks for maps that open offline and embed data safely.

Folium links Leaflet, jQuery, Bootstrap and Awesome Markers from CDNs, renders each element's
output a second time as a Jinja template, and writes tooltips into JavaScript template
literals. Here instead:

- `SelfContainedFigure` inlines Leaflet and Leaflet.markercluster from the `xstatic-leaflet`
  packages (images as data URIs) and drops the CDN assets nothing on the map uses;
- the elements below pass every string through `tojson` and are rendered once, never re-parsed
  as templates. Text from data must still be HTML-escaped (`render.escape`): Leaflet shows
  tooltip, popup and layer-control text as HTML.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import folium
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from folium.elements import ElementAddToElement, JSCSSMixin
from folium.map import Layer
from folium.template import Template

log = logging.getLogger(__name__)

# Header entries folium's Map asks for that only Awesome-Markers icons, folium's own Popup
# (which builds its content with jQuery) and Bootstrap widgets use.
MAP_EXTRAS = (
    "jquery", "bootstrap", "awesome_markers", "bootstrap_css", "glyphicons_css",
    "awesome_markers_font_css", "awesome_markers_css", "awesome_rotate_css",
)  # fmt: skip


class Raw(Element):
    """Markup inserted verbatim: unlike branca's Element, never parsed as a Jinja template."""

    _template = Template("{{ this.text }}")

    def __init__(self, text: str):
        super().__init__()
        self._name = "Raw"
        self.text = text


def script_safe(json_text: str) -> str:
    """Return JSON text that cannot end a <script> or open markup: `<`, `>`, `&`, `'` escaped."""
    return json_text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027")


def js_json(value: object) -> str:
    """Return compact JSON safe to place in a <script>."""
    return script_safe(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def _render_macros(element: MacroElement, kwargs: dict) -> None:
    """Do what MacroElement.render does, without rendering the output a second time."""
    figure = element.get_root()
    if not isinstance(figure, Figure):
        raise TypeError("a map element can only be rendered inside a folium Map")
    macros = element._template.module.__dict__
    for part in ("header", "html", "script"):
        macro = macros.get(part)
        if macro is not None:
            getattr(figure, part).add_child(Raw(macro(element, kwargs)), name=element.get_name())
    for child in element._children.values():
        child.render(**kwargs)


class SafeMacro(MacroElement):
    """A MacroElement rendered once: data in its output is never evaluated as a template."""

    def render(self, **kwargs) -> None:  # type: ignore[override]
        _render_macros(self, kwargs)


class SafeLayer(Layer):
    """A Layer (listed in the layer control) rendered once, like SafeMacro."""

    def render(self, **kwargs) -> None:  # type: ignore[override]
        if self.show:
            assert self._parent is not None
            self.add_child(
                ElementAddToElement(element_name=self.get_name(), element_parent_name=self._parent.get_name()),
                name=self.get_name() + "_add",
            )
        _render_macros(self, kwargs)


class BindTooltip(SafeMacro):
    """Bind a tooltip of ready-made (escaped) HTML to the parent layer."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindTooltip({{ this.html|tojson }}, {{ this.options|tojavascript }});
        {% endmacro %}"""
    )

    def __init__(self, html: str, **options):
        super().__init__()
        self._name = "BindTooltip"
        self.html = html
        self.options = {"sticky": True, **options}


class BindPopup(SafeMacro):
    """Bind a popup of ready-made (escaped) HTML to the parent layer, without jQuery."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindPopup({{ this.html|tojson }}, {{ this.options|tojavascript }});
        {% endmacro %}"""
    )

    def __init__(self, html: str, *, max_width: int = 420):
        super().__init__()
        self._name = "BindPopup"
        self.html = html
        self.options = {"maxWidth": max_width}


class GeoJsonLayer(SafeLayer):
    """A Leaflet GeoJSON layer with one style object: data (a dict, or GeoJSON text) embedded once as
    JSON, with no per-feature code.

    With `world_copies`, the data is also drawn a turn east and west, so land shows under a
    route that runs on across the antimeridian (Leaflet does not repeat vector layers).
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var data = {{ this.data }};
            var options = {{ this.options|tojavascript }};
            var shifts = {{ this.shifts|tojson }};
            if (shifts.length === 1 && shifts[0] === 0) {
                return L.geoJson(data, options);
            }
            return L.featureGroup(shifts.map(function (shift) {
                return L.geoJson(data, Object.assign({}, options, {
                    coordsToLatLng: function (c) { return L.latLng(c[1], c[0] + shift); }
                }));
            }));
        })();
        {% endmacro %}"""
    )

    def __init__(
        self,
        data: dict | str,
        *,
        name: str,
        style: dict,
        overlay: bool = True,
        show: bool = True,
        world_copies: bool = False,
        **options,
    ):
        super().__init__(name=name, overlay=overlay, control=True, show=show)
        self._name = "GeoJsonLayer"
        # GeoJSON text (a trusted file) goes in as it is, without parsing and dumping it again.
        self.data = script_safe(data) if isinstance(data, str) else js_json(data)
        self.shifts = [-360, 0, 360] if world_copies else [0]
        self.options = {"style": style, **options}


class PointCluster(JSCSSMixin, SafeLayer):
    """Many small points as one clustered layer (Leaflet.markercluster), built from compact rows.

    Each row is [lat, lon, label_html, note_index]: the tooltip shows the label, the popup the
    label over `notes[note_index]`, a snippet many points share. All HTML must be escaped already.
    """

    default_js: ClassVar = [  # type: ignore[misc]
        ("markerclusterjs", "https://unpkg.com/leaflet.markercluster@1.4.1/dist/leaflet.markercluster.js")
    ]
    default_css: ClassVar = [  # type: ignore[misc]
        ("markerclustercss", "https://unpkg.com/leaflet.markercluster@1.4.1/dist/MarkerCluster.css"),
        ("markerclusterdefaultcss", "https://unpkg.com/leaflet.markercluster@1.4.1/dist/MarkerCluster.Default.css"),
    ]
    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var rows = {{ this.rows }};
            var notes = {{ this.notes }};
            var group = L.markerClusterGroup({{ this.options|tojavascript }});
            group.options.iconCreateFunction = function (cluster) {
                var n = cluster.getChildCount();
                var size = n < 10 ? 22 : n < 100 ? 28 : 34;
                return L.divIcon({html: "<span>" + n + "</span>", className: {{ this.cluster_class|tojson }},
                                  iconSize: [size, size]});
            };
            var icon = L.divIcon({className: {{ this.icon_class|tojson }}, iconSize: [9, 9]});
            var markers = [];
            for (var i = 0; i < rows.length; i++) {
                var row = rows[i];
                var marker = L.marker([row[0], row[1]], {icon: icon});
                marker.bindTooltip(row[2]);
                marker.bindPopup("<div class='corridor-popup'><b>" + row[2] + "</b><br>" + notes[row[3]] + "</div>");
                markers.push(marker);
            }
            group.addLayers(markers);
            return group;
        })();
        {% endmacro %}"""
    )

    def __init__(
        self,
        rows: Sequence[Sequence],
        notes: Sequence[str],
        *,
        name: str,
        icon_class: str,
        cluster_class: str,
        show: bool = True,
        **options,
    ):
        SafeLayer.__init__(self, name=name, overlay=True, control=True, show=show)
        self._name = "PointCluster"
        self.rows = js_json([list(row) for row in rows])
        self.notes = js_json(list(notes))
        self.icon_class = icon_class
        self.cluster_class = cluster_class
        self.options = {"showCoverageOnHover": False, "maxClusterRadius": 45, "chunkedLoading": True, **options}

    def render(self, **kwargs) -> None:  # type: ignore[override]
        figure: Any = self.get_root()
        for name, url in self.default_js:
            figure.header.add_child(JavascriptLink(url), name=name)
        for name, url in self.default_css:
            figure.header.add_child(CssLink(url), name=name)
        SafeLayer.render(self, **kwargs)


class Panel(SafeMacro):
    """A fixed box on the map (a legend) made of ready-made HTML sections.

    With a `summary`, the box folds away behind it (an HTML <details>): open at first on a
    large map, folded on a small one (`SMALL_MAP`).
    """

    _template = Template(
        """{% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var panel = L.control({position: {{ this.position|tojson }}});
            panel.onAdd = function () {
                var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
                div.innerHTML = {{ this.body|tojson }};
                // Folded on a small map, so that it never hides the route; open on a large one.
                var details = div.querySelector("details");
                if (details && corridorSmall({{ this._parent.get_name() }})) { details.open = false; }
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            panel.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}"""
    )

    def __init__(self, *, css_class: str, css: str, position: str = "bottomleft", summary: str = ""):
        super().__init__()
        self._name = "Panel"
        self.css_class = css_class
        self.css = css
        self.position = position
        self.summary = summary
        self.sections: list[str] = []

    @property
    def body(self) -> str:
        content = "".join(self.sections)
        if self.summary:
            return f"<details open><summary>{self.summary}</summary>{content}</details>"
        return content


# Below this map size (px) the legend starts folded and the layer control collapsed.
SMALL_MAP = (1000, 700)
# Map helpers every page carries: what counts as a small map, and polylines drawn a few pixels
# to one side (`offset` option), so that routes sharing a lane stay visible side by side.
HELPERS_JS = """
function corridorSmall(map) {
    var size = map.getSize();
    return size.x < SMALL_X || size.y < SMALL_Y;
}
function corridorOffsetPoints(points, offset) {
    var n = points.length, normals = [], out = [], i;
    if (n < 2) { return points; }
    for (i = 0; i < n - 1; i++) {
        var dx = points[i + 1].x - points[i].x, dy = points[i + 1].y - points[i].y;
        var length = Math.sqrt(dx * dx + dy * dy);
        normals.push(length > 0 ? [-dy / length, dx / length] : null);
    }
    for (i = 0; i < n - 1; i++) { if (!normals[i]) { normals[i] = i > 0 ? normals[i - 1] : null; } }
    for (i = n - 2; i >= 0; i--) { if (!normals[i]) { normals[i] = normals[i + 1] || [0, 0]; } }
    for (i = 0; i < n; i++) {
        var a = normals[Math.max(i - 1, 0)], b = normals[Math.min(i, n - 2)];
        var nx = a[0] + b[0], ny = a[1] + b[1], norm = Math.sqrt(nx * nx + ny * ny);
        if (norm < 1e-9) { nx = b[0]; ny = b[1]; norm = 1; }
        nx /= norm; ny /= norm;
        var miter = offset / Math.max(nx * b[0] + ny * b[1], 0.5);
        out.push(L.point(points[i].x + nx * miter, points[i].y + ny * miter));
    }
    return out;
}
L.Polyline.include({
    _corridorProject: L.Polyline.prototype._projectLatlngs,
    _projectLatlngs: function (latlngs, result, projectedBounds) {
        var first = result.length;
        this._corridorProject(latlngs, result, projectedBounds);
        var offset = this.options.offset || 0;
        if (offset) {
            for (var i = first; i < result.length; i++) { result[i] = corridorOffsetPoints(result[i], offset); }
        }
    }
});
""".replace("SMALL_X", str(SMALL_MAP[0])).replace("SMALL_Y", str(SMALL_MAP[1]))


class Helpers(SafeMacro):
    """The page's map helpers (`HELPERS_JS`), in the header after Leaflet."""

    _template = Template("""{% macro header(this, kwargs) %}<script>{{ this.js }}</script>{% endmacro %}""")

    def __init__(self):
        super().__init__()
        self._name = "Helpers"
        self.js = HELPERS_JS


class AdaptiveLayerControl(folium.LayerControl):
    """A layer control expanded on a large map and collapsed to its button on a small one."""

    _template = Template(
        """
        {% macro script(this,kwargs) %}
            var {{ this.get_name() }}_layers = {
                base_layers : {
                    {%- for key, val in this.base_layers.items() %}
                    {{ key|tojson }} : {{val}},
                    {%- endfor %}
                },
                overlays :  {
                    {%- for key, val in this.overlays.items() %}
                    {{ key|tojson }} : {{val}},
                    {%- endfor %}
                },
            };
            let {{ this.get_name() }} = L.control.layers(
                {{ this.get_name() }}_layers.base_layers,
                {{ this.get_name() }}_layers.overlays,
                Object.assign({{ this.options|tojavascript }},
                              {collapsed: corridorSmall({{ this._parent.get_name() }})})
            ).addTo({{this._parent.get_name()}});
        {% endmacro %}
        """
    )


class FitAround(SafeMacro):
    """Fit the view to bounds, keeping them clear of the map's controls (legend, layers, zoom, credits).

    Each corner's controls are measured once drawn; each may be kept clear by padding the side
    it sits on or its top or bottom, whichever leaves the larger zoom.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var bounds = L.latLngBounds({{ this.bounds|tojson }});
            var pad = {{ this.padding|tojson }};
            var frame = map.getContainer().getBoundingClientRect();
            var size = map.getSize();
            var boxes = [];
            ["top left", "top right", "bottom left", "bottom right"].forEach(function (corner) {
                var parts = corner.split(" ");
                var el = map.getContainer().querySelector(".leaflet-" + parts[0] + ".leaflet-" + parts[1]);
                if (!el || !el.children.length) { return; }
                var r = el.getBoundingClientRect();
                if (r.width < 1 || r.height < 1) { return; }
                boxes.push({left: parts[1] === "left", top: parts[0] === "top",
                            x0: r.left - frame.left, y0: r.top - frame.top,
                            x1: r.right - frame.left, y1: r.bottom - frame.top});
            });
            var best = null;
            for (var mask = 0; mask < (1 << boxes.length); mask++) {
                var tl = [pad, pad], br = [pad, pad];
                boxes.forEach(function (b, i) {
                    if (mask & (1 << i)) {
                        if (b.top) { tl[1] = Math.max(tl[1], b.y1 + pad); }
                        else { br[1] = Math.max(br[1], size.y - b.y0 + pad); }
                    } else if (b.left) { tl[0] = Math.max(tl[0], b.x1 + pad); }
                    else { br[0] = Math.max(br[0], size.x - b.x0 + pad); }
                });
                if (tl[0] + br[0] > size.x - 60 || tl[1] + br[1] > size.y - 60) { continue; }
                var zoom = map.getBoundsZoom(bounds, false, L.point(tl[0] + br[0], tl[1] + br[1]));
                var room = (size.x - tl[0] - br[0]) * (size.y - tl[1] - br[1]);
                if (!best || zoom > best.zoom || (zoom === best.zoom && room > best.room)) {
                    best = {zoom: zoom, room: room, tl: tl, br: br};
                }
            }
            if (!best) { best = {tl: [pad, pad], br: [pad, pad]}; }
            map.fitBounds(bounds, {paddingTopLeft: best.tl, paddingBottomRight: best.br, animate: false});
            map.getContainer().setAttribute("data-corridor-fit", JSON.stringify([best.tl, best.br]));
        })();
        {% endmacro %}"""
    )

    def __init__(self, bounds: Sequence[Sequence[float]], *, padding: int = 28):
        super().__init__()
        self._name = "FitAround"
        self.bounds = [list(corner) for corner in bounds]
        self.padding = padding


class Attribution(SafeMacro):
    """Add a credit to the map's attribution control (ready-made HTML)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        if ({{ this._parent.get_name() }}.attributionControl) {
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.html|tojson }});
        }
        {% endmacro %}"""
    )

    def __init__(self, html: str):
        super().__init__()
        self._name = "Attribution"
        self.html = html


class Style(SafeMacro):
    """A style sheet for the page."""

    _template = Template("""{% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}""")

    def __init__(self, css: str):
        super().__init__()
        self._name = "Style"
        self.css = css


# --------------------------------------------------------------------------- inline assets


def _without_source_map(text: str) -> str:
    return re.sub(r"^//# sourceMappingURL=.*$", "", text, flags=re.MULTILINE)


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


@functools.lru_cache(maxsize=1)
def inline_assets() -> dict[str, str]:
    """Return the header markup of Leaflet and MarkerCluster, inlined, keyed by folium's names."""
    try:
        from xstatic.pkg import leaflet, leaflet_markercluster
    except ImportError as exc:  # pragma: no cover - both are dependencies
        raise ImportError(
            "offline maps need xstatic: pip install xstatic-leaflet xstatic-leaflet-markercluster"
        ) from exc
    base = Path(leaflet.BASE_DIR)
    images = base / "images"
    css = (base / "leaflet.css").read_text(encoding="utf-8")
    css = re.sub(r"url\(images/([\w.-]+\.png)\)", lambda m: f"url({_data_uri(images / m[1])})", css)
    # L.Icon.Default finds its images through a CSS path; give it data URIs instead.
    icons = (
        "L.Icon.Default.imagePath = '';"
        f"L.Icon.Default.mergeOptions({{iconUrl: '{_data_uri(images / 'marker-icon.png')}',"
        f" iconRetinaUrl: '{_data_uri(images / 'marker-icon-2x.png')}',"
        f" shadowUrl: '{_data_uri(images / 'marker-shadow.png')}'}});"
    )
    js = _without_source_map((base / "leaflet.js").read_text(encoding="utf-8"))
    cluster = Path(leaflet_markercluster.BASE_DIR)
    return {
        "leaflet": f"<script>/* Leaflet {leaflet.VERSION}, BSD-2-Clause */\n{js}\n{icons}</script>",
        "leaflet_css": f"<style>{css}</style>",
        "markerclusterjs": (
            f"<script>/* Leaflet.markercluster {leaflet_markercluster.VERSION}, MIT */\n"
            + _without_source_map((cluster / "leaflet.markercluster.js").read_text(encoding="utf-8"))
            + "</script>"
        ),
        "markerclustercss": f"<style>{(cluster / 'MarkerCluster.css').read_text(encoding='utf-8')}</style>",
        "markerclusterdefaultcss": (
            f"<style>{(cluster / 'MarkerCluster.Default.css').read_text(encoding='utf-8')}</style>"
        ),
    }


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in element._children.values():
        yield from _walk(child)


def _requested_elsewhere(figure: Figure) -> set[str]:
    """Return the header names that elements other than a Map itself need."""
    names: set[str] = set()
    for element in _walk(figure):
        if isinstance(element, folium.Map):
            if element.objects_to_stay_in_front:
                names.add("jquery")  # folium brings those layers to front with $(document).ready
            continue
        if isinstance(element, JSCSSMixin):
            names.update(name for name, _ in (*element.default_js, *element.default_css))
        if isinstance(element, folium.Icon):
            names.update(MAP_EXTRAS)
        if isinstance(element, folium.Popup):
            names.add("jquery")
    return names


class SelfContainedFigure(Figure):
    """A page that needs no network: Leaflet and MarkerCluster inline, unused CDN assets dropped."""

    def render(self, **kwargs) -> str:
        for child in self._children.values():
            child.render(**kwargs)
        assets = inline_assets()
        needed = _requested_elsewhere(self)
        header: OrderedDict[str, Element] = OrderedDict()
        for name, child in self.header._children.items():
            if name in assets:
                child = Raw(assets[name])
                child._parent = self.header
            elif name in MAP_EXTRAS and name not in needed:
                continue
            header[name] = child
        self.header._children = header
        online = [c.url for c in header.values() if isinstance(c, (JavascriptLink, CssLink)) and "//" in str(c.url)]
        if online:
            log.warning("this map links %d asset(s) from the network and will not fully work offline: %s",
                        len(online), ", ".join(online))  # fmt: skip
        return self._template.render(this=self, kwargs=kwargs)


def self_contained(m: folium.Map) -> folium.Map:
    """Make a map render as a self-contained page (in place); return it.

    A map placed in a figure of its own making (subplots) is left as it is.
    """
    parent = m._parent
    if isinstance(parent, SelfContainedFigure):
        return m
    if parent is None or (type(parent) is Figure and list(parent._children.values()) == [m]):
        figure = SelfContainedFigure()
        if parent is not None:
            figure.title = parent.title
        figure.add_child(m)
    return m


def layer_control_last(m: folium.Map) -> None:
    """Add a layer control to the map, or move its existing one after every layer.

    The control lists the layers it finds when rendered and must come after them in the script.
    """
    controls = [(name, c) for name, c in m._children.items() if isinstance(c, folium.LayerControl)]
    for name, _ in controls:
        del m._children[name]
    control = controls[0][1] if controls else AdaptiveLayerControl(collapsed=False)
    m.add_child(control)
