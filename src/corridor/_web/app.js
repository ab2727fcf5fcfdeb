// The page of `corridor serve`: a form over the API, the CLI's text table and the route layers on a Leaflet map.
// Every string from the data or the request reaches the page through textContent or a DOM property, never
// through innerHTML; the Content-Security-Policy allows no script but this file and Leaflet.
"use strict";

(function () {
  const VIEWS = {
    route: {
      fields: ["origin", "destination", "by", "modes", "via", "avoid", "alternatives", "teu"],
      map: true, downloads: ["html", "json", "geojson"],
    },
    compare: {
      fields: ["origin", "destination", "modes", "via", "avoid", "teu"], map: true,
      downloads: ["html", "json", "geojson"],
    },
    reach: {
      fields: ["origin", "by", "modes", "avoid", "teu", "country", "limit"], map: true,
      downloads: ["json", "csv", "geojson"],
    },
    pareto: {
      fields: ["origin", "destination", "modes", "via", "avoid", "teu"], map: true, downloads: ["html", "json", "geojson"],
    },
    scenario: {
      fields: ["scenario", "origin", "destination", "by", "modes", "via", "avoid", "teu"], map: true,
      downloads: ["json", "geojson"],
    },
    criticality: {
      fields: ["origin", "to", "by", "modes", "avoid", "top"], map: true, downloads: ["json", "csv", "geojson"],
    },
  };
  const DEFAULTS = { alternatives: "0", teu: "1", top: "20", limit: "50", by: "cost" };

  const $ = (selector, root) => (root || document).querySelector(selector);
  const form = $("#query");
  let meta = null;
  let view = "route";
  let map = null;
  let routeLayer = null;
  let placeRenderer = null;
  let pending = null;

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    const body = await response.json();
    if (!response.ok) throw Object.assign(new Error(body.error || response.statusText), { body, status: response.status });
    return body;
  }

  // ------------------------------------------------------------------ the form

  function buildForm() {
    const by = $("#f-by");
    for (const name of meta.objectives) by.appendChild(Object.assign(el("option", name), { value: name }));
    const modes = $("#f-modes");
    for (const mode of meta.modes) {
      const box = Object.assign(document.createElement("input"), { type: "checkbox", name: "mode", value: mode.name, checked: true });
      const label = el("label");
      label.append(box, document.createTextNode(mode.name));
      modes.appendChild(label);
    }
    const passages = $("#f-passages");
    for (const name of meta.passages) {
      const box = Object.assign(document.createElement("input"), { type: "checkbox", name: "passage", value: name });
      const label = el("label");
      label.append(box, document.createTextNode(name));
      passages.appendChild(label);
    }
    const scenario = $("#f-scenario");
    for (const name of meta.scenarios) scenario.appendChild(Object.assign(el("option", name), { value: name }));
    for (const field of form.querySelectorAll(".field.place")) typeAhead(field);
  }

  function showView(name) {
    view = Object.hasOwn(VIEWS, name) ? name : "route";
    for (const button of document.querySelectorAll("#views button")) {
      button.classList.toggle("active", button.dataset.view === view);
    }
    const wanted = new Set(VIEWS[view].fields);
    for (const field of form.querySelectorAll(".field[data-param]")) field.hidden = !wanted.has(field.dataset.param);
  }

  function value(name) {
    const input = form.elements.namedItem(name);
    return input && input.value !== undefined ? input.value.trim() : "";
  }

  // The query of the form as API parameters (the permalink's query string too).
  function parameters() {
    const params = new URLSearchParams();
    const fields = new Set(VIEWS[view].fields);
    for (const name of ["origin", "destination", "by", "via", "alternatives", "teu", "top", "country", "limit"]) {
      if (!fields.has(name)) continue;
      const text = value(name);
      if (text !== "" && text !== DEFAULTS[name]) params.append(name, text);
    }
    if (fields.has("to")) {
      for (const line of value("to").split("\n")) if (line.trim()) params.append("to", line.trim());
    }
    if (fields.has("modes")) {
      const boxes = [...form.querySelectorAll("input[name=mode]")];
      const checked = boxes.filter((b) => b.checked).map((b) => b.value);
      if (checked.length !== boxes.length) params.append("modes", checked.join(","));
    }
    if (fields.has("avoid")) {
      if (value("avoid")) params.append("avoid", value("avoid"));
      for (const box of form.querySelectorAll("input[name=passage]:checked")) params.append("avoid", box.value);
    }
    return params;
  }

  function endpoint(params) {
    if (view === "scenario") return "/api/scenarios/" + encodeURIComponent(value("scenario")) + "/compare";
    return "/api/" + view;
  }

  function fill(params) {
    const set = (name, text) => { const input = form.elements.namedItem(name); if (input) input.value = text; };
    for (const name of ["origin", "destination", "by", "via", "alternatives", "teu", "top", "country", "limit", "scenario"]) {
      set(name, params.has(name) ? params.get(name) : (DEFAULTS[name] || ""));
    }
    set("to", params.getAll("to").join("\n"));
    const modes = params.has("modes") ? params.get("modes").split(",") : null;
    for (const box of form.querySelectorAll("input[name=mode]")) box.checked = !modes || modes.includes(box.value);
    const avoided = params.getAll("avoid");
    const passages = new Set(meta.passages);
    for (const box of form.querySelectorAll("input[name=passage]")) box.checked = avoided.includes(box.value);
    set("avoid", avoided.find((a) => !passages.has(a)) || "");
  }

  // ------------------------------------------------------------------ type-ahead

  function typeAhead(field) {
    const input = $("input", field);
    const list = $(".suggestions", field);
    const chosen = $(".chosen", field);
    let timer = null;
    let request = 0;
    let active = -1;

    function close() { list.hidden = true; list.replaceChildren(); active = -1; }

    function pick(item) {
      input.value = item.value;
      chosen.textContent = item.kind === "area"
        ? `${item.name}: ${item.places.length} places${item.country ? ", " + item.country : ""}`
        : `${item.name}, ${item.country}`;
      if (item.kind !== "area") {
        // What routes charge there, each figure with its source (corridor ports show).
        const about = el("a", "figures and sources", "about");
        about.href = "/api/places/" + encodeURIComponent(item.id) + "?format=text";
        about.target = "_blank";
        about.rel = "noopener";
        chosen.append(" · ", about);
      }
      clearError(input.name);
      close();
    }

    function highlight(index) {
      const items = list.children;
      if (!items.length) return;
      active = (index + items.length) % items.length;
      for (let i = 0; i < items.length; i++) items[i].classList.toggle("active", i === active);
    }

    async function suggest() {
      const text = input.value.trim();
      if (text.length < 2) { close(); return; }
      const mine = ++request;
      let found;
      try {
        found = await getJSON("/api/places?" + new URLSearchParams({ q: text, limit: "8" }));
      } catch (err) {
        close();
        return;
      }
      if (mine !== request) return;
      list.replaceChildren();
      for (const item of found) {
        const li = el("li");
        li.setAttribute("role", "option");
        li.dataset.value = item.value;
        li.appendChild(el("span", item.name, "name"));
        const detail = item.kind === "area"
          ? ` area, ${item.places.length} places${item.country ? ", " + item.country : ""}`
          : ` ${item.country}, ${item.id}${item.routable ? "" : ", not routable"}`;
        li.appendChild(el("span", detail, "detail"));
        li.addEventListener("mousedown", (event) => { event.preventDefault(); pick(item); });
        li.item = item;
        list.appendChild(li);
      }
      list.hidden = found.length === 0;
      active = -1;
    }

    input.addEventListener("input", () => {
      chosen.textContent = "";
      clearTimeout(timer);
      timer = setTimeout(suggest, 120);
    });
    input.addEventListener("keydown", (event) => {
      if (list.hidden) return;
      if (event.key === "ArrowDown") { highlight(active + 1); event.preventDefault(); }
      else if (event.key === "ArrowUp") { highlight(active - 1); event.preventDefault(); }
      else if (event.key === "Enter" && active >= 0) { pick(list.children[active].item); event.preventDefault(); }
      else if (event.key === "Escape") close();
    });
    input.addEventListener("blur", () => setTimeout(close, 150));
  }

  // ------------------------------------------------------------------ errors

  function clearError(name) {
    const box = document.getElementById("error-" + name);
    if (box) box.textContent = "";
    const input = form.elements.namedItem(name);
    if (input && input.classList) { input.classList.remove("invalid"); input.removeAttribute("aria-invalid"); }
  }

  function clearErrors() {
    for (const box of form.querySelectorAll(".error")) box.textContent = "";
    for (const input of form.querySelectorAll(".invalid")) { input.classList.remove("invalid"); input.removeAttribute("aria-invalid"); }
  }

  // Show an API error beside the field it names (or under the button when it names none shown here).
  function showError(message, parameter) {
    const alias = { to: "to", origins: "origin", destinations: "destination" };
    const name = alias[parameter] || parameter;
    let box = name ? document.getElementById("error-" + name) : null;
    if (box && box.closest(".field") && box.closest(".field").hidden) box = null;
    (box || $("#error-general")).textContent = message;
    const input = name ? form.elements.namedItem(name) : null;
    if (box && input && input.classList) { input.classList.add("invalid"); input.setAttribute("aria-invalid", "true"); }
  }

  // ------------------------------------------------------------------ the map

  function buildMap() {
    map = L.map("map", { worldCopyJump: true, minZoom: 1, maxZoom: 14, attributionControl: false }).setView([22, 95], 3);
    L.control.scale().addTo(map);
    L.control.attribution({ prefix: false }).addAttribution("Land: Natural Earth").addTo(map);
    fetch("/static/land.geojson").then((r) => r.json()).then((land) => {
      L.geoJSON(land, { interactive: false, style: { stroke: false, fillColor: "#f1ede4", fillOpacity: 1 } }).addTo(map);
      if (routeLayer) routeLayer.bringToFront();
    });
  }

  function legTooltip(props) {
    const box = el("div", null, "corridor-tip");
    const head = props.mode === "transfer" ? `transfer at ${props.from_name}` : `${props.mode}: ${props.from_name} to ${props.to_name}`;
    box.appendChild(el("b", head));
    box.appendChild(el("div", props.text || totals([{ properties: props }])));
    return box;
  }

  // A route's totals, summed over its legs as the CLI's table does.
  function totals(legs) {
    const sum = (key) => legs.reduce((acc, f) => acc + f.properties[key], 0);
    const whole = (x) => Math.round(x).toLocaleString("en");
    return `${whole(sum("distance_km"))} km, ${(sum("time_h") / 24).toFixed(1)} d, $${whole(sum("cost_usd"))}, ` +
      `${whole(sum("co2_kg"))} kg CO2`;
  }

  function routeLabels(features) {
    const count = Math.max(-1, ...features.map((f) => f.properties.route)) + 1;
    const labels = [];
    for (let rank = 0; rank < count; rank++) {
      const first = features.find((f) => f.properties.route === rank);
      const by = first ? (meta.metric_labels[first.properties.optimized_for] || first.properties.optimized_for) : "";
      if (view === "route") labels.push(rank === 0 ? `Best route (${by})` : `Alternative ${rank}`);
      else if (view === "compare") labels.push(`The ${by}`);
      else if (view === "scenario") labels.push(rank === 0 ? "Base network" : `Scenario ${value("scenario")}`);
      else labels.push(`Route ${rank + 1}`);
    }
    return labels;
  }

  // One row of the legend: a line swatch or a dot in `color`, then the label.
  function legendRow(color, label, shape) {
    const row = el("div", null, "route");
    const swatch = el("span", null, shape);
    if (shape === "dot") swatch.style.backgroundColor = color;
    else swatch.style.borderTopColor = color;
    row.append(swatch, el("span", label));
    return row;
  }

  // A line or multi-line geometry as Leaflet's lines of [lat, lon]. A leg across the antimeridian
  // comes split in two at 180° (RFC 7946): each point's longitude is shifted by whole turns to
  // stay within 180° of the one before it, across parts too, so the line crosses the Pacific
  // instead of jumping to the map's other edge (Leaflet draws longitudes beyond ±180).
  function lines(geometry) {
    const parts = geometry.type === "LineString" ? [geometry.coordinates] : geometry.coordinates;
    let last = null;
    return parts.map((part) => part.map(([lon, lat]) => {
      const shifted = last === null ? lon : lon + 360 * Math.round((last - lon) / 360);
      last = shifted;
      return [lat, shifted];
    }));
  }

  function fitTo(layer) {
    const bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 7 });
  }

  // Every place reached, coloured by its band of the metric, as `corridor reach --map` draws them.
  function drawPlaces(collection) {
    const legend = $("#legend");
    if (!placeRenderer) placeRenderer = L.canvas({ padding: 0.2 });
    routeLayer = L.featureGroup();
    const bands = collection.bands;
    for (const feature of collection.features) {
      const props = feature.properties;
      const [lon, lat] = feature.geometry.coordinates;
      const tip = el("div", null, "corridor-tip");
      tip.appendChild(el("b", `${props.name} (${props.id}, ${props.country})`));
      tip.appendChild(el("div", totals([feature])));
      L.circleMarker([lat, lon], {
        renderer: placeRenderer, radius: 4, color: "#333", weight: 1, fillColor: bands[props.band].color, fillOpacity: 0.9,
      }).bindTooltip(tip).addTo(routeLayer);
    }
    routeLayer.addTo(map);
    const title = el("div", `${collection.features.length.toLocaleString("en")} places reached, by ` +
      ({ distance_km: "distance", time_h: "time", cost_usd: "cost", co2_kg: "CO2" }[collection.metric] || collection.metric),
      "totals");
    legend.appendChild(title);
    for (const band of bands) legend.appendChild(legendRow(band.color, band.label, "dot"));
    fitTo(routeLayer);
  }

  // The elements closed in turn, coloured by what closing them costs, as `corridor criticality --map` draws them.
  function drawCritical(collection) {
    const legend = $("#legend");
    routeLayer = L.featureGroup();
    // The least critical first, so the most critical are drawn on top.
    for (const feature of [...collection.features].reverse()) {
      const props = feature.properties;
      const tip = el("div", null, "corridor-tip");
      tip.appendChild(el("b", `#${props.rank} ${props.kind}: ${props.name} (${props.id})`));
      tip.appendChild(el("div", `destinations cut off: ${props.cut_off}; affected: ${props.affected}`));
      if (props.worst_destination) tip.appendChild(el("div", `worst hit: ${props.worst_destination}`));
      const style = { color: props.color, weight: props.prominent ? 6 : 4, opacity: 0.9, className: "corridor-critical" };
      const geometry = feature.geometry;
      if (geometry.type === "Point") {
        const [lon, lat] = geometry.coordinates;
        L.circleMarker([lat, lon], { radius: props.prominent ? 8 : 5, color: "#222", weight: 1, fillColor: props.color,
          fillOpacity: 0.95, className: "corridor-critical" }).bindTooltip(tip).addTo(routeLayer);
        continue;
      }
      L.polyline(lines(geometry), style).bindTooltip(tip).addTo(routeLayer);
    }
    routeLayer.addTo(map);
    for (const entry of collection.legend) legend.appendChild(legendRow(entry.color, entry.label, "swatch"));
    fitTo(routeLayer);
  }

  function drawRoutes(collection) {
    if (routeLayer) { routeLayer.remove(); routeLayer = null; }
    const legend = $("#legend");
    legend.replaceChildren();
    if (!collection) return;
    if (view === "reach") { drawPlaces(collection); return; }
    if (view === "criticality") { drawCritical(collection); return; }
    const features = collection.features;
    const labels = routeLabels(features);
    const colors = meta.route_colors;
    routeLayer = L.featureGroup();
    // Alternatives first, the best route last: drawn on top.
    for (let rank = labels.length - 1; rank >= 0; rank--) {
      const color = colors[rank % colors.length];
      const layer = L.featureGroup();
      for (const feature of features.filter((f) => f.properties.route === rank)) {
        const props = feature.properties;
        const className = `corridor-route corridor-route-${rank}`;
        if (feature.geometry.type === "Point") {
          const [lon, lat] = feature.geometry.coordinates;
          L.circleMarker([lat, lon], { radius: 5, color: "#fff", weight: 2, fillColor: color, fillOpacity: 1, className })
            .bindTooltip(legTooltip(props)).addTo(layer);
          continue;
        }
        const points = lines(feature.geometry);
        L.polyline(points, { color, weight: rank === 0 ? 6 : 4, opacity: 0.9, className }).bindTooltip(legTooltip(props)).addTo(layer);
        const pattern = meta.mode_patterns[props.mode];
        if (pattern) {
          L.polyline(points, { color: "#fff", weight: pattern.weight, dashArray: pattern.dashArray, interactive: false,
            className: `corridor-pattern corridor-pattern-${rank}` }).addTo(layer);
        }
      }
      layer.addTo(routeLayer);
      const row = el("div", null, "route");
      const swatch = el("span", null, "swatch");
      swatch.style.borderTopColor = color;
      const text = el("span");
      text.appendChild(el("b", labels[rank]));
      const given = (collection.routes || []).find((r) => r.route === rank);
      text.appendChild(el("div", given ? given.text : totals(features.filter((f) => f.properties.route === rank)), "totals"));
      row.append(swatch, text);
      legend.prepend(row);
    }
    routeLayer.addTo(map);
    fitTo(routeLayer);
  }

  // ------------------------------------------------------------------ asking

  function setLinks(params) {
    const base = endpoint(params) + "?";
    const links = $("#links");
    links.hidden = false;
    const shown = new URLSearchParams(params);
    shown.set("view", view);
    if (view === "scenario") shown.set("scenario", value("scenario"));
    $("#permalink").href = "?" + shown.toString();
    for (const kind of ["html", "json", "geojson", "csv"]) {
      const link = $("#download-" + kind);
      const wanted = VIEWS[view].downloads.includes(kind);
      link.hidden = !wanted;
      if (wanted) {
        const query = new URLSearchParams(params);
        query.set("format", kind);
        link.href = base + query.toString();
        link.download = `corridor-${view}.${kind}`;
      }
    }
    return shown;
  }

  async function ask(push) {
    clearErrors();
    const params = parameters();
    const shown = setLinks(params);
    if (push) history.pushState(null, "", "?" + shown.toString());
    const status = $("#status");
    status.textContent = "asking ...";
    $("#go").disabled = true;
    const mine = pending = Symbol("query");
    const url = endpoint(params) + "?";
    const text = new URLSearchParams(params);
    text.set("format", "text");
    const jobs = [fetch(url + text.toString())];
    if (VIEWS[view].map) {
      const geo = new URLSearchParams(params);
      geo.set("format", "geojson");
      geo.delete("limit");  // the table shows the first rows; the map, every place reached
      jobs.push(fetch(url + geo.toString()));
    }
    try {
      const responses = await Promise.all(jobs);
      if (mine !== pending) return;
      const failed = responses.find((r) => !r.ok);
      if (failed) {
        const body = await failed.json().catch(() => ({ error: failed.statusText, parameter: null }));
        showError(body.error, body.parameter);
        status.textContent = "";
        $("#answer-text").textContent = "";
        $("#notes").textContent = "";
        $("#notes").hidden = true;
        drawRoutes(null);
        $("#links").hidden = true;
        return;
      }
      $("#notes").textContent = decodeURIComponent(responses[0].headers.get("x-corridor-note") || "");
      $("#notes").hidden = !$("#notes").textContent;
      $("#answer-text").textContent = await responses[0].text();
      drawRoutes(VIEWS[view].map ? await responses[1].json() : null);
      status.textContent = "";
      document.body.dataset.answered = view;
    } catch (err) {
      if (mine === pending) { showError("the server did not answer: " + err.message, null); status.textContent = ""; }
    } finally {
      if (mine === pending) $("#go").disabled = false;
    }
  }

  function fromLocation() {
    const params = new URLSearchParams(location.search);
    showView(params.get("view") || "route");
    fill(params);
    const needed = VIEWS[view].fields.includes("origin") ? params.has("origin") : false;
    if (needed) ask(false);
  }

  async function start() {
    try {
      meta = await getJSON("/api/meta");
    } catch (err) {
      $("#status").textContent = "cannot reach the server: " + err.message;
      return;
    }
    buildForm();
    buildMap();
    for (const button of document.querySelectorAll("#views button")) {
      button.addEventListener("click", () => { showView(button.dataset.view); clearErrors(); });
    }
    form.addEventListener("submit", (event) => { event.preventDefault(); ask(true); });
    window.addEventListener("popstate", fromLocation);
    fromLocation();
    document.body.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", start);
})();
