// Guided landmark tool for one radiograph (ES module, no inline script: strict CSP).
//
// The film is a downscaled preview <img>; the SVG overlay's viewBox is the ORIGINAL image size,
// so every point is kept in original pixels (y down), exactly what the server's core expects.
// Pan and zoom move one CSS transform on the stage (GPU-composited). Measurements are never
// computed here: points are posted (debounced) to the server, which calls the core.

const config = JSON.parse(document.getElementById("imaging-config").textContent);
const $ = (id) => document.getElementById(id);
const tool = $("tool");
const viewport = $("viewport");
const stage = $("stage");
const film = $("film");
const svg = $("overlay");
const SVG_NS = "http://www.w3.org/2000/svg";
const W = config.width;
const H = config.height;
const PW = Number(film.getAttribute("width"));
const PH = Number(film.getAttribute("height"));
const csrf = document.querySelector("#tool input[name=csrfmiddlewaretoken]").value;
const DEBOUNCE_MS = 120;
const MARKER_PX = 7; // on screen, whatever the zoom
const DRAG_THRESHOLD_PX = 4;

const state = {
  points: {},
  current: 0,
  skipped: new Set(),
  view: { scale: 1, x: 0, y: 0 },
  mode: "landmark", // or "calibrate"
  calibration: [],
  dirty: false,
  request: 0,
  errorLandmark: null,
};
for (const [name, xy] of Object.entries(config.landmarks || {})) {
  state.points[name] = [Number(xy[0]), Number(xy[1])];
}

tool.hidden = false;
stage.style.width = `${PW}px`;
stage.style.height = `${PH}px`;

// --- view ---------------------------------------------------------------------------------------

function applyView() {
  const { scale, x, y } = state.view;
  stage.style.transform = `translate(${x}px, ${y}px) scale(${scale})`;
  draw();
}

function fit() {
  const box = viewport.getBoundingClientRect();
  const scale = Math.min(box.width / PW, box.height / PH);
  state.view = { scale, x: (box.width - PW * scale) / 2, y: (box.height - PH * scale) / 2 };
  applyView();
}

function zoomAt(factor, cx, cy) {
  const { scale, x, y } = state.view;
  const next = Math.min(Math.max(scale * factor, 0.05), 16);
  state.view = {
    scale: next,
    x: cx - (cx - x) * (next / scale),
    y: cy - (cy - y) * (next / scale),
  };
  applyView();
}

function zoomCentre(factor) {
  const box = viewport.getBoundingClientRect();
  zoomAt(factor, box.width / 2, box.height / 2);
}

/** Client (screen) coordinates → original image pixels. */
function toImage(clientX, clientY) {
  const box = svg.getBoundingClientRect();
  return [((clientX - box.left) * W) / box.width, ((clientY - box.top) * H) / box.height];
}

/** Original pixels per screen pixel at the current zoom. */
function pixelsPerScreenPixel() {
  return W / (PW * state.view.scale);
}

// --- drawing ------------------------------------------------------------------------------------

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  parent.appendChild(node);
  return node;
}

const ENDPLATES = ["L1_superior", "L4_superior", "L4_inferior", "L5_superior", "L5_inferior", "S1_superior"];

function shortLabel(name) {
  return name
    .replace("_superior_", " sup ")
    .replace("_inferior_", " inf ")
    .replace("anterior", "ant")
    .replace("posterior", "post")
    .replace("femoral_head_", "FH ");
}

function draw() {
  const unit = pixelsPerScreenPixel();
  svg.replaceChildren();
  const lines = el("g", { "stroke-width": 2 * unit }, svg);
  for (const plate of ENDPLATES) {
    const a = state.points[`${plate}_anterior`];
    const p = state.points[`${plate}_posterior`];
    if (a && p) el("line", { class: "plate", x1: a[0], y1: a[1], x2: p[0], y2: p[1] }, lines);
  }
  const left = state.points.femoral_head_left;
  const right = state.points.femoral_head_right;
  if (left && right) {
    el("line", { class: "hipline", x1: left[0], y1: left[1], x2: right[0], y2: right[1] }, lines);
  }
  if (state.calibration.length) {
    const [a, b] = state.calibration;
    if (b) el("line", { class: "cal", x1: a[0], y1: a[1], x2: b[0], y2: b[1] }, lines);
    for (const pt of state.calibration) {
      el("circle", { class: "cal", cx: pt[0], cy: pt[1], r: 3 * unit }, svg);
    }
  }
  const currentName = config.steps[state.current]?.name;
  for (const [name, [x, y]] of Object.entries(state.points)) {
    const classes = ["lm"];
    if (name === currentName) classes.push("active");
    if (name === state.errorLandmark) classes.push("error");
    el("circle", {
      class: classes.join(" "),
      cx: x,
      cy: y,
      r: MARKER_PX * unit,
      "stroke-width": unit,
      "data-name": name,
    }, svg);
    const text = el("text", {
      x: x + 10 * unit,
      y: y - 8 * unit,
      "font-size": 12 * unit,
      "stroke-width": 3 * unit,
    }, svg);
    text.textContent = shortLabel(name);
  }
}

// --- steps --------------------------------------------------------------------------------------

const stepList = $("steps");
const instruction = $("instruction");

function renderSteps() {
  stepList.replaceChildren();
  config.steps.forEach((step, index) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = shortLabel(step.name);
    button.dataset.name = step.name;
    button.title = step.instruction;
    const placed = Boolean(state.points[step.name]);
    const skipped = state.skipped.has(step.name);
    button.setAttribute(
      "aria-label",
      `${step.instruction} ${placed ? "(placed)" : skipped ? "(skipped)" : "(not placed)"}`,
    );
    if (placed) li.classList.add("done");
    if (skipped) li.classList.add("skipped");
    if (index === state.current) {
      li.classList.add("current");
      button.setAttribute("aria-current", "step");
    }
    button.addEventListener("click", (event) => {
      state.current = index;
      state.mode = "landmark";
      update(false);
      if (event.detail === 0) {
        // from the keyboard: bring the point (if any) under the crosshair, then on to the film
        const point = state.points[step.name];
        if (point) centreOn(point);
        viewport.focus();
      }
    });
    li.appendChild(button);
    stepList.appendChild(li);
  });
  const step = config.steps[state.current];
  if (state.mode === "calibrate") {
    instruction.textContent = state.calibration.length < 2
      ? "Click both ends of an object of known length."
      : "Enter the real length of the line below and save the calibration.";
  } else if (step) {
    instruction.textContent = step.instruction;
  } else {
    instruction.textContent = "All landmarks placed. Drag a point to adjust it, then save.";
  }
}

function nextOpenStep(from) {
  for (let i = 1; i <= config.steps.length; i += 1) {
    const index = (from + i) % config.steps.length;
    const name = config.steps[index].name;
    if (!state.points[name] && !state.skipped.has(name)) return index;
  }
  return config.steps.length; // all done
}

function update(changed) {
  if (changed) {
    state.dirty = true;
    scheduleCompute();
  }
  const save = $("save");
  if (save) save.disabled = !(state.dirty && config.calibrated && Object.keys(state.points).length);
  renderSteps();
  draw();
}

function place(xy) {
  const step = config.steps[state.current];
  if (!step) return;
  state.points[step.name] = xy;
  state.skipped.delete(step.name);
  state.current = nextOpenStep(state.current);
  update(true);
}

// --- live measures ------------------------------------------------------------------------------

const liveRows = new Map(
  [...document.querySelectorAll("#live tr[data-measure]")].map((tr) => [tr.dataset.measure, tr]),
);
const units = Object.fromEntries(config.measures.map((m) => [m.name, m.unit]));
const suffix = { deg: "°", mm: " mm", "%": " %", ratio: "" };
const decimals = { deg: 1, mm: 1, "%": 0, ratio: 2 };
let timer = null;
let inFlight = null;

function formatValue(value, unit) {
  if (value === null || value === undefined) return "—";
  return `${value.toFixed(decimals[unit] ?? 1).replace("-", "−")}${suffix[unit] ?? ""}`;
}

function scheduleCompute() {
  clearTimeout(timer);
  timer = setTimeout(compute, DEBOUNCE_MS);
}

function setStatus(text, kind = "") {
  const status = $("status");
  status.textContent = text;
  status.className = `status-line ${kind}`;
}

async function postJSON(url, body, signal) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify(body),
    credentials: "same-origin",
    signal,
  });
  let data = {};
  try {
    data = await response.json();
  } catch {
    data = { error: `The server answered ${response.status}; reload the page.` };
  }
  return { status: response.status, data };
}

function showMeasures(data) {
  const values = data.values || {};
  for (const [name, tr] of liveRows) {
    const cell = tr.querySelector("td.value");
    const value = values[name];
    cell.textContent = formatValue(value, units[name]);
    if (value === null || value === undefined) delete cell.dataset.value;
    else cell.dataset.value = String(value);
    cell.title = (data.reasons || {})[name] || "";
  }
  $("facing").textContent = data.facing ? `patient faces ${data.facing}` : "";
  const grades = Object.entries(config.grades || {})
    .filter(([g]) => values[g])
    .map(([g, label]) => `${label}: ${values[g]}`);
  $("grades").textContent = grades.join(" · ");
}

async function compute() {
  const error = $("measure-error");
  if (!config.calibrated) {
    error.hidden = false;
    error.textContent = "Calibrate the film to see measurements.";
    return;
  }
  if (inFlight) inFlight.abort();
  inFlight = new AbortController();
  const ticket = (state.request += 1);
  const placed = Object.keys(state.points).length;
  try {
    const { status, data } = await postJSON(
      config.urls.compute, { landmarks: state.points }, inFlight.signal,
    );
    if (ticket !== state.request) return; // a newer request is on its way
    if (status === 200) {
      error.hidden = true;
      state.errorLandmark = null;
      showMeasures(data);
      tool.dataset.computed = String(ticket);
      tool.dataset.computedPoints = String(placed); // lets tests wait for the last answer
    } else {
      error.hidden = false;
      error.textContent = data.error || "The points could not be measured.";
      state.errorLandmark = data.landmark || null;
    }
    draw();
  } catch (exc) {
    if (exc.name !== "AbortError") setStatus("The server could not be reached; your points are kept.", "bad");
  }
}

async function save() {
  const button = $("save");
  button.disabled = true;
  setStatus("Saving…");
  try {
    const { status, data } = await postJSON(config.urls.save, {
      landmarks: state.points,
      based_on_version: config.version,
    });
    if (status === 201) {
      state.dirty = false;
      setStatus(`Saved version ${data.version} by ${data.measured_by}.`, "good");
      window.location.reload();
      return;
    }
    setStatus(data.error || "Not saved.", "bad");
    state.errorLandmark = data.landmark || null;
  } catch {
    setStatus("The server could not be reached; your points are kept — try again.", "bad");
  }
  update(false);
}

// --- pointer input ------------------------------------------------------------------------------

let gesture = null;

viewport.addEventListener("pointerdown", (event) => {
  if (event.button !== 0) return;
  try {
    viewport.setPointerCapture(event.pointerId);
  } catch {
    // synthetic or already-released pointer: the gesture still works without capture
  }
  const name = event.target.dataset?.name;
  gesture = {
    id: event.pointerId,
    startX: event.clientX,
    startY: event.clientY,
    view: { ...state.view },
    drag: name && state.mode === "landmark" ? name : null,
    moved: false,
  };
  if (gesture.drag) {
    state.current = config.steps.findIndex((s) => s.name === name);
    update(false);
  }
});

viewport.addEventListener("pointermove", (event) => {
  if (!gesture || event.pointerId !== gesture.id) return;
  const dx = event.clientX - gesture.startX;
  const dy = event.clientY - gesture.startY;
  if (!gesture.moved && Math.hypot(dx, dy) < DRAG_THRESHOLD_PX) return;
  gesture.moved = true;
  if (gesture.drag) {
    const [x, y] = toImage(event.clientX, event.clientY); // kept on the film
    state.points[gesture.drag] = [Math.min(Math.max(x, 0), W), Math.min(Math.max(y, 0), H)];
    update(true);
  } else {
    viewport.classList.add("panning");
    state.view = { ...gesture.view, x: gesture.view.x + dx, y: gesture.view.y + dy };
    applyView();
  }
});

function endGesture(event) {
  if (!gesture || event.pointerId !== gesture.id) return;
  viewport.classList.remove("panning");
  const wasClick = !gesture.moved && !gesture.drag;
  gesture = null;
  if (!wasClick) return;
  const xy = toImage(event.clientX, event.clientY);
  if (xy[0] < 0 || xy[1] < 0 || xy[0] > W || xy[1] > H) return;
  if (state.mode === "calibrate") addCalibrationPoint(xy);
  else place(xy);
}

viewport.addEventListener("pointerup", endGesture);
viewport.addEventListener("pointercancel", () => {
  gesture = null;
  viewport.classList.remove("panning");
});

viewport.addEventListener("wheel", (event) => {
  event.preventDefault();
  const box = viewport.getBoundingClientRect();
  zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - box.left, event.clientY - box.top);
}, { passive: false });

/** Original pixels under the centre of the viewport (the keyboard crosshair). */
function centrePoint() {
  const box = viewport.getBoundingClientRect();
  return toImage(box.left + box.width / 2, box.top + box.height / 2);
}

/** Pan so that original pixel `xy` is under the crosshair. */
function centreOn(xy) {
  const box = viewport.getBoundingClientRect();
  const perPixel = (PW * state.view.scale) / W; // screen pixels per original pixel
  state.view = {
    ...state.view,
    x: box.width / 2 - xy[0] * perPixel,
    y: box.height / 2 - xy[1] * perPixel,
  };
  applyView();
}

const PAN_KEYS = { ArrowLeft: [1, 0], ArrowRight: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };

viewport.addEventListener("keydown", (event) => {
  const steps = { "+": 1.25, "=": 1.25, "-": 0.8 };
  const pan = PAN_KEYS[event.key];
  if (steps[event.key]) zoomCentre(steps[event.key]);
  else if (pan) {
    // the film moves under the fixed crosshair: 1 screen pixel with Alt, 40 plain, 200 with Shift
    const by = event.altKey ? 1 : event.shiftKey ? 200 : 40;
    state.view = { ...state.view, x: state.view.x + pan[0] * by, y: state.view.y + pan[1] * by };
    applyView();
  } else if (event.key === "Enter" || event.key === " ") {
    const xy = centrePoint();
    if (xy[0] < 0 || xy[1] < 0 || xy[0] > W || xy[1] > H) {
      setStatus("The crosshair is outside the film: move it with the arrow keys.", "bad");
    } else if (state.mode === "calibrate") addCalibrationPoint(xy);
    else place(xy);
  } else if (event.key === "0") fit();
  else if (event.key === "Delete" || event.key === "Backspace") removeCurrent();
  else return;
  event.preventDefault();
});

// --- buttons ------------------------------------------------------------------------------------

function removeCurrent() {
  const step = config.steps[state.current];
  if (step && state.points[step.name]) {
    delete state.points[step.name];
    update(true);
  }
}

$("zoom-in").addEventListener("click", () => zoomCentre(1.25));
$("zoom-out").addEventListener("click", () => zoomCentre(0.8));
$("fit").addEventListener("click", fit);
$("remove").addEventListener("click", removeCurrent);
$("skip").addEventListener("click", () => {
  const step = config.steps[state.current];
  if (!step) return;
  state.skipped.add(step.name);
  state.current = nextOpenStep(state.current);
  update(false);
});
$("save")?.addEventListener("click", save);

function applyFilter() {
  const contrast = $("contrast").value;
  const brightness = $("brightness").value;
  const invert = $("invert").checked ? 1 : 0;
  film.style.filter = `contrast(${contrast}) brightness(${brightness}) invert(${invert})`;
}
for (const id of ["contrast", "brightness", "invert"]) $(id).addEventListener("input", applyFilter);

function addCalibrationPoint(xy) {
  if (state.calibration.length >= 2) state.calibration = [];
  state.calibration.push(xy);
  if (state.calibration.length === 2) {
    const [a, b] = state.calibration;
    const fields = { id_x1: a[0], id_y1: a[1], id_x2: b[0], id_y2: b[1] };
    for (const [id, value] of Object.entries(fields)) $(id).value = value.toFixed(2);
    const length = Math.hypot(b[0] - a[0], b[1] - a[1]);
    setStatus(`Line of ${length.toFixed(1)} px drawn: enter its real length and save the calibration.`);
    $("id_length_mm")?.focus();
  }
  renderSteps();
  draw();
}

$("draw-calibration")?.addEventListener("click", () => {
  state.mode = state.mode === "calibrate" ? "landmark" : "calibrate";
  state.calibration = [];
  $("draw-calibration").textContent = state.mode === "calibrate" ? "Stop calibrating" : "Draw calibration line";
  renderSteps();
  draw();
});

window.addEventListener("beforeunload", (event) => {
  if (state.dirty) event.preventDefault();
});
window.addEventListener("resize", fit);

// --- start --------------------------------------------------------------------------------------

state.current = Object.keys(state.points).length ? config.steps.length : 0;
if (state.current === config.steps.length) state.current = nextOpenStep(config.steps.length - 1);
fit();
update(false);
if (Object.keys(state.points).length) compute();
tool.dataset.ready = "1";
