// The page of `vqclip serve`: submits jobs to the jobs API, follows the running
// job's event stream (progress and previews), cancels, and shows the finished
// pictures with their settings. Plain browser JavaScript, no build step: the
// server embeds this file as it is (docs/serve.md).
"use strict";

const $ = (id) => document.getElementById(id);
const FINISHED = new Set(["done", "failed", "cancelled"]);
const REFRESH_MS = 1500;

let token = localStorage.getItem("vqclip-token") || "";
let watching = null;           // the id of the job whose event stream is open
const inGallery = new Set();   // ids of the jobs the gallery shows

// ---- the API, with the token when the server asks for one ------------------------------

class ApiError extends Error {}

async function api(method, path, body) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  if (response.status === 401) {
    $("token-form").hidden = false;
    throw new ApiError(token ? "the token was refused" : "this server needs a token");
  }
  return response;
}

async function apiJson(method, path, body) {
  const response = await api(method, path, body);
  const data = await response.json();
  if (!response.ok) throw new ApiError(data.error ? data.error.message : `${response.status} ${response.statusText}`);
  return data;
}

function setStatus(text) {
  $("status").textContent = text;
}

// ---- submitting -------------------------------------------------------------------------

// The request from the form: only the fields filled in, so the server's defaults apply.
function jobRequest() {
  const request = {prompt: $("prompt").value.trim(), steps: Number($("steps").value), drawer: $("drawer").value};
  const size = $("size").value.trim();
  if (size) request.size = size;
  const seed = $("seed").value.trim();
  if (seed) {
    if (!Number.isSafeInteger(Number(seed))) throw new ApiError(`seed: ${seed} is not a whole number below 2^53`);
    request.seed = Number(seed);
  }
  const cutn = $("cutn").value.trim();
  if (cutn) request.cutn = Number(cutn);
  return request;
}

$("job-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("form-error").textContent = "";
  try {
    const job = await apiJson("POST", "/api/jobs", jobRequest());
    setStatus(`job ${job.id} queued`);
    await refresh();
  } catch (error) {
    $("form-error").textContent = error.message;
  }
});

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  token = $("token").value;
  localStorage.setItem("vqclip-token", token);
  $("token-form").hidden = true;
  refresh();
});

async function cancel(id) {
  try {
    const job = await apiJson("DELETE", `/api/jobs/${id}`);
    setStatus(`job ${id} ${job.state === "running" ? "stopping" : job.state}`);
  } catch (error) {
    setStatus(error.message);
  }
  await refresh();
}

$("cancel").addEventListener("click", () => {
  if (watching !== null) cancel(watching);
});

// ---- the running job: its event stream ---------------------------------------------------

// One Server-Sent Events block ("event: ...\ndata: ...") as {type, data}; null for comments.
function parseEvent(block) {
  let type = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") type = value;
    if (field === "data") data.push(value);
  }
  return data.length ? {type, data: JSON.parse(data.join("\n"))} : null;
}

function showProgress(step, steps, eta) {
  $("progress").max = steps;
  $("progress").value = step;
  $("progress-text").textContent =
      `step ${step} of ${steps}` + (eta > 0 ? `, about ${Math.ceil(eta)} s left` : "");
}

function onEvent(event) {
  const data = event.data;
  if (event.type === "progress") {
    showProgress(data.step, data.steps, data.eta);
    $("progress-text").textContent += `, loss ${data.loss.toFixed(4)}`;
  } else if (event.type === "preview") {
    $("preview").src = data.image;
  } else if (FINISHED.has(event.type)) {
    setStatus(`job ${data.id} ${data.state}` + (data.error ? `: ${data.error}` : ""));
  }
}

// Follows the job's events until its final one. fetch rather than EventSource:
// EventSource cannot send the Authorization header.
async function watch(job) {
  watching = job.id;
  setStatus(`job ${job.id} running`);
  $("current").hidden = false;
  $("current-id").textContent = job.id;
  $("current-prompt").textContent = job.prompts.join(" | ");
  $("preview").removeAttribute("src");
  showProgress(job.step, job.steps, job.eta);
  try {
    const response = await api("GET", `/api/jobs/${job.id}/events`);
    if (!response.ok) throw new ApiError(`events of job ${job.id}: ${response.status}`);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, {stream: true});
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const event = parseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event) onEvent(event);
      }
    }
  } catch (error) {
    setStatus(error.message);
  } finally {
    watching = null;
    $("current").hidden = true;
    refresh();
  }
}

// ---- the queue and the gallery -----------------------------------------------------------

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function settingsText(job) {
  const parts = [`seed ${job.seed}`, `${job.step}/${job.steps} steps`];
  if (job.width) parts.push(`${job.width}x${job.height}`);
  if (job.drawer) parts.push(job.drawer);
  if (job.cutn) parts.push(`${job.cutn} cutouts`);
  if (Array.isArray(job.similarity) && job.similarity.length) {
    parts.push(`CLIP similarity ${job.similarity.map((s) => Number(s.cosine).toFixed(3)).join(", ")}`);
  }
  return parts.join(" · ");
}

function renderQueue(jobs) {
  const list = $("queue");
  list.replaceChildren();
  for (const job of jobs.filter((j) => !FINISHED.has(j.state))) {
    const item = element("li", `job ${job.state}`);
    item.dataset.id = job.id;
    item.append(element("span", "state", job.state), " ", element("span", "prompt", job.prompts.join(" | ")), " ");
    const button = element("button", "cancel", "Cancel");
    button.type = "button";
    button.addEventListener("click", () => cancel(job.id));
    item.append(button);
    list.append(item);
  }
  if (!list.children.length) list.append(element("li", "empty muted", "nothing waiting"));
}

async function pictureSource(job) {
  const path = `/api/jobs/${job.id}/image`;
  if (!token) return path;
  const response = await api("GET", path);  // an <img> cannot send the token: fetch it
  return URL.createObjectURL(await response.blob());
}

async function addToGallery(job) {
  const figure = element("figure", `picture ${job.state}`);
  figure.dataset.id = job.id;
  inGallery.add(job.id);
  if (job.file) {
    const link = element("a");
    link.href = `/api/jobs/${job.id}/image`;
    link.download = job.file;
    const image = element("img");
    image.alt = job.prompts.join(" | ");
    image.src = await pictureSource(job);
    link.append(image);
    figure.append(link);
  }
  const caption = element("figcaption");
  caption.append(element("span", "prompt", job.prompts.join(" | ")),
                 element("span", "state", job.state === "cancelled" ? "cancelled (saved as it was)" : job.state),
                 element("span", "settings", settingsText(job)));
  if (job.error) caption.append(element("span", "error", job.error));
  figure.append(caption);
  $("gallery").prepend(figure);  // newest first
}

async function renderGallery(jobs) {
  for (const job of jobs) {
    if (FINISHED.has(job.state) && !inGallery.has(job.id)) await addToGallery(job);
  }
}

let refreshing = false;

async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    const list = await apiJson("GET", "/api/jobs");
    const jobs = list.jobs.sort((a, b) => Number(a.id) - Number(b.id));
    renderQueue(jobs);
    await renderGallery(jobs);
    const running = jobs.find((job) => job.state === "running");
    if (running && watching === null) watch(running);
    $("waiting").textContent = `(${list.waiting} waiting)`;
  } catch (error) {
    setStatus(error instanceof ApiError ? error.message : `server unreachable (${error.message})`);
  } finally {
    refreshing = false;
  }
}

async function start() {
  try {
    const models = await apiJson("GET", "/v1/models");
    $("model").textContent = models.data.map((m) => m.id).join(", ");
  } catch (error) {
    setStatus(error.message);
  }
  await refresh();
  setInterval(refresh, REFRESH_MS);
}

start();
