// The admin dashboard: one staff-only socket, a `dashboard` frame every few seconds, rendered as text.

const SVG = "http://www.w3.org/2000/svg";
const root = document.getElementById("wall-dashboard");
const $ = (id) => document.getElementById(`wall-dashboard-${id}`);

function socketUrl(path) {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = String(text);
  row.append(td);
}

function renderProcesses(processes) {
  const rows = processes.map((report) => {
    const row = document.createElement("tr");
    cell(row, report.process);
    cell(row, report.sockets);
    cell(row, report.users);
    return row;
  });
  $("processes").replaceChildren(...rows);
}

function renderSparkline(counts) {
  const svg = $("sparkline");
  const top = Math.max(1, ...counts);
  const step = 120 / Math.max(1, counts.length - 1);
  const points = counts.map((count, i) => `${(i * step).toFixed(1)},${(23 - (count / top) * 22).toFixed(1)}`);
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", points.join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "currentColor");
  line.setAttribute("stroke-width", "1.5");
  svg.replaceChildren(line);
  svg.setAttribute("aria-label", `Posts per minute, last hour: at most ${top} a minute`);
}

function renderProblems(problems) {
  const items = problems.map((problem) => {
    const item = document.createElement("li");
    const when = document.createElement("time");
    when.dateTime = problem.at;
    when.textContent = new Date(problem.at).toLocaleTimeString();
    const level = document.createElement("span");
    level.className = `wall-dashboard-level wall-dashboard-level-${problem.level.toLowerCase()}`;
    level.textContent = problem.level;
    const text = document.createElement("span");
    text.textContent = ` ${problem.logger}: ${problem.message} (${problem.process})`;
    item.append(when, " ", level, text);
    return item;
  });
  if (!items.length) {
    const none = document.createElement("li");
    none.className = "wall-dashboard-none";
    none.textContent = "None.";
    items.push(none);
  }
  $("problems").replaceChildren(...items);
}

function render(data) {
  $("online").textContent = data.online == null ? "unknown (Redis down)" : String(data.online);
  $("posts").textContent = String(data.posts_last_hour);
  if ($("reports")) $("reports").textContent = String(data.reports_open ?? "–");
  if ($("held")) $("held").textContent = String(data.held ?? "–");
  renderSparkline(data.posts_per_minute);
  renderProcesses(data.processes);
  renderProblems(data.problems);
}

function connect(attempt = 0) {
  const status = $("status");
  const socket = new WebSocket(socketUrl(root.dataset.socketPath));
  socket.addEventListener("open", () => {
    attempt = 0;
    status.textContent = "live";
    status.dataset.state = "live";
  });
  socket.addEventListener("message", (event) => {
    const frame = JSON.parse(event.data);
    if (frame.type === "dashboard") render(frame.data);
  });
  socket.addEventListener("close", () => {
    const delay = Math.min(30000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);
    status.textContent = `reconnecting in ${Math.round(delay / 1000)} s`;
    status.dataset.state = "reconnecting";
    setTimeout(() => connect(attempt + 1), delay);
  });
}

if (root) connect();
