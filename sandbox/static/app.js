// Beacon sandbox page: renders the emulated workspace and sends every action through the
// sandbox server, which drives the emulator as the chosen person (so Beacon sees real payloads).
"use strict";

const params = new URLSearchParams(location.search);
// The workspace on screen (null: the first); each remembers who acts in it.
const TEAM = params.get("team") || null;
const S = {
  team: TEAM,
  user: params.get("user") || localStorage.getItem(userKey(TEAM)) || (TEAM ? null : "alice"),
  channel: null,       // channel id shown in the main pane
  pane: "channel",     // "channel" or "home"
  threadTs: null,
  snap: null,
  sigs: {},            // last rendered signature per region (re-render only what changed)
  drafts: {},          // view id -> {label: value} typed but not yet submitted
  clientErrors: {},    // view id -> {block_id: message} (required fields)
  highlight: null,     // ts of the message a permalink (a card's View) pointed at
  file: null,          // the file open in the viewer: {id, title, text, error}
  marking: false,      // a "seen" call is on its way
};
const $ = (sel) => document.querySelector(sel);
function userKey(team) { return team ? `sandbox-user:${team}` : "sandbox-user"; }
// Who acts, and in which workspace: every call carries both (no user: its first person).
function actor() { return {...(S.user ? {user: S.user} : {}), ...(S.team ? {team: S.team} : {})}; }

// ---------------------------------------------------------------------------------------------
// Server calls

const UNREACHABLE = "The sandbox server did not answer (is it still running?). Try again once it is back.";

// One request to the sandbox server; a server that is down is an answer too ({ok: false}).
async function call(path, init) {
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    return {ok: false, error: UNREACHABLE, unreachable: true};
  }
  try { return await res.json(); } catch (e) { return {ok: false, error: `${res.status} ${res.statusText}`}; }
}

async function api(path, body) {
  const data = await call(path, {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({...actor(), ...body}),
  });
  if (!data.ok) toast(data.error || "That did not work.", true);
  if (!data.unreachable) refresh();
  return data;
}

let refreshing = null, again = false;
async function refresh() {
  if (refreshing) { again = true; return refreshing; }
  refreshing = (async () => {
    do {
      again = false;
      const snap = await call(`/api/state?${new URLSearchParams(actor())}`);
      if (snap.me) { S.user = snap.me.name; S.snap = snap; render(); }
      // A remembered person or workspace that is not in this sandbox: fall back to the first.
      else if (!snap.unreachable && (S.user || S.team)) {
        if (S.user) S.user = null; else S.team = null;
        again = true;
      }
    } while (again);
  })();
  try { await refreshing; } finally { refreshing = null; }
}

function connectLive() {
  const es = new EventSource("/api/events");
  es.onopen = () => { $("#live").className = "live on"; };
  es.onmessage = () => refresh();
  es.onerror = () => { $("#live").className = "live off"; };
}

let toastTimer = null;
function toast(text, isError) {
  const el = $("#toast");
  el.textContent = text;
  el.className = isError ? "error" : "";
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 6000);
}

// ---------------------------------------------------------------------------------------------
// mrkdwn and dates

const EMOJI = {
  rotating_light: "🚨", fire: "🔥", white_check_mark: "✅", warning: "⚠️", eyes: "👀",
  zzz: "💤", red_circle: "🔴", large_orange_circle: "🟠", large_yellow_circle: "🟡",
  large_blue_circle: "🔵", tada: "🎉", memo: "📝", bell: "🔔", pager: "📟", link: "🔗",
  bust_in_silhouette: "👤", hourglass: "⌛", arrow_up: "⬆️", clipboard: "📋", sos: "🆘",
};

function esc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}
function unesc(s) {
  return String(s).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}
function userName(id) {
  const u = (S.snap && S.snap.users || []).find((x) => x.id === id);
  return u ? (u.is_bot ? "Beacon" : u.name) : id;
}
function channelName(id) {
  const c = (S.snap && S.snap.channels || []).find((x) => x.id === id);
  return c ? c.name : id;
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
function ordinal(n) {
  const s = ["th", "st", "nd", "rd"], v = n % 100;
  return n + (s[(v - 20) % 10] || s[v] || s[0]);
}
function ago(d) {
  let secs = Math.round((Date.now() - d.getTime()) / 1000);
  const future = secs < 0;
  secs = Math.abs(secs);
  let text;
  if (secs < 45) text = "a few seconds";
  else if (secs < 90) text = "1 minute";
  else if (secs < 3600) text = `${Math.round(secs / 60)} minutes`;
  else if (secs < 5400) text = "1 hour";
  else if (secs < 86400) text = `${Math.round(secs / 3600)} hours`;
  else if (secs < 172800) text = "1 day";
  else text = `${Math.round(secs / 86400)} days`;
  return future ? `in ${text}` : `${text} ago`;
}
function slackDate(ts, fmt) {
  const d = new Date(ts * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  const h12 = ((d.getHours() + 11) % 12) + 1, ampm = d.getHours() < 12 ? "AM" : "PM";
  const dayDiff = Math.round((new Date(d).setHours(0, 0, 0, 0) - new Date().setHours(0, 0, 0, 0)) / 86400000);
  const rel = {"0": "Today", "-1": "Yesterday", "1": "Tomorrow"}[String(dayDiff)];
  const date = `${MONTHS[d.getMonth()]} ${ordinal(d.getDate())}, ${d.getFullYear()}`;
  const dateShort = `${MONTHS[d.getMonth()].slice(0, 3)} ${d.getDate()}, ${d.getFullYear()}`;
  const dateLong = `${DAYS[d.getDay()]}, ${date}`;
  const tokens = {
    date_num: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    date, date_short: dateShort, date_long: dateLong,
    date_pretty: rel || date, date_short_pretty: rel || dateShort, date_long_pretty: rel || dateLong,
    time: `${h12}:${pad(d.getMinutes())} ${ampm}`,
    time_secs: `${h12}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${ampm}`,
    ago: ago(d),
  };
  return fmt.replace(/\{(\w+)\}/g, (m, k) => (k in tokens ? tokens[k] : m));
}
function refreshDates(root) {
  (root || document).querySelectorAll(".date[data-ts]").forEach((el) => {
    el.textContent = slackDate(Number(el.dataset.ts), el.dataset.fmt);
  });
}

// `<...>` sequences: mentions, channels, dates, specials and links.
function angle(inner) {
  const [target, label] = splitOnce(inner, "|");
  if (target.startsWith("@")) {
    return `<span class="mention">@${esc(label || userName(target.slice(1)))}</span>`;
  }
  if (target.startsWith("#")) {
    return `<span class="mention">#${esc(label || channelName(target.slice(1)))}</span>`;
  }
  if (target.startsWith("!date^")) {
    const parts = target.split("^");
    const ts = Number(parts[1]), fmt = unesc(parts[2] || "{date_short_pretty}");
    return `<span class="date" data-ts="${ts}" data-fmt="${esc(fmt)}" title="${esc(unesc(label || ""))}">` +
      `${esc(slackDate(ts, fmt))}</span>`;
  }
  if (target.startsWith("!subteam^")) return `<span class="mention">@${esc(label || "group")}</span>`;
  if (target.startsWith("!")) return `<span class="mention">@${esc(target.slice(1))}</span>`;
  const href = unesc(target);
  const safe = /^(https?:|mailto:)/i.test(href) ? href : "#";
  const local = isPermalink(href) ? ` class="permalink"` : "";
  return `<a href="${esc(safe)}"${local} target="_blank" rel="noopener noreferrer">${esc(unesc(label || target))}</a>`;
}
function splitOnce(s, sep) {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ""] : [s.slice(0, i), s.slice(i + 1)];
}

function mrkdwn(text) {
  const slots = [];
  const hold = (html) => `\u0000${slots.push(html) - 1}\u0000`;
  let s = String(text || "");
  s = s.replace(/```([\s\S]*?)```/g, (m, code) => hold(`<pre>${esc(unesc(code))}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (m, code) => hold(`<code>${esc(unesc(code))}</code>`));
  s = s.replace(/<([^<>\n]+)>/g, (m, inner) => hold(angle(inner)));
  const inline = (line) => line
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,:;!?])/g, "$1<b>$2</b>")
    .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,:;!?])/g, "$1<i>$2</i>")
    .replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s).,:;!?])/g, "$1<s>$2</s>")
    .replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m);
  s = esc(unesc(s)).split("\n").map((line) => {
    const quote = line.match(/^&gt;\s?(.*)$/);
    return quote ? `<blockquote>${inline(quote[1])}</blockquote>` : inline(line);
  }).join("<br>").replace(/<\/blockquote><br>/g, "</blockquote>");
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u0000(\d+)\u0000/g, (m, i) => slots[Number(i)]);
}

function textObj(t) {
  if (!t) return "";
  if (t.type === "mrkdwn") return mrkdwn(t.text);
  return esc(t.text || "").replace(/:([a-z0-9_+-]+):/g, (m, n) => EMOJI[n] || m).replace(/\n/g, "<br>");
}

// ---------------------------------------------------------------------------------------------
// Block Kit

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "html") el.innerHTML = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "className") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function optionsOf(el) {
  const opts = [...(el.options || [])];
  for (const g of el.option_groups || []) opts.push(...(g.options || []));
  return opts;
}
function humans() { return (S.snap.users || []).filter((u) => !u.is_bot); }

// An interactive element outside input blocks: each use sends one block_actions payload.
function element(el, block, ctx) {
  const t = el.type;
  if (t === "button") {
    const label = (el.text && el.text.text) || "";
    return h("button", {
      type: "button", className: `bk-button ${el.style || ""}`, title: el.url || null,
      "data-action-id": el.action_id,
      onclick: async (e) => {
        // Slack opens a link button's URL and also sends block_actions (the app must ack).
        if (el.url) openLink(el.url);
        const btn = e.currentTarget;
        btn.classList.add("busy");
        btn.disabled = true;
        try {
          await api("/api/click", {target: ctx.target, label});
        } finally {
          btn.classList.remove("busy");  // a failed click says so (toast) and can be retried
          btn.disabled = false;
        }
      },
    }, h("span", {html: textObj(el.text)}));
  }
  if (t === "static_select" || t === "external_select") {
    const sel = h("select", {
      className: "bk-select", "data-action-id": el.action_id,
      onchange: (e) => api("/api/select", {target: ctx.target, option: e.target.value, block_id: block.block_id}),
    }, h("option", {value: "", disabled: true, selected: !el.initial_option}, (el.placeholder && el.placeholder.text) || "Select…"),
    optionsOf(el).map((o) => h("option", {
      value: o.text.text, selected: el.initial_option && el.initial_option.value === o.value,
    }, o.text.text)));
    return sel;
  }
  if (t === "users_select") {
    return h("select", {
      className: "bk-select", "data-action-id": el.action_id,
      onchange: (e) => api("/api/select", {target: ctx.target, user_id: e.target.value, action_id: el.action_id}),
    }, h("option", {value: "", disabled: true, selected: !el.initial_user}, (el.placeholder && el.placeholder.text) || "Select a person"),
    humans().map((u) => h("option", {value: u.id, selected: el.initial_user === u.id}, `${u.real_name} (@${u.name})`)));
  }
  if (t === "overflow") {
    return h("button", {
      type: "button", className: "bk-button bk-overflow", title: "More actions",
      onclick: (e) => openMenu(e.currentTarget, optionsOf(el).map((o) => [o.text.text,
        () => api("/api/select", {target: ctx.target, option: o.text.text, block_id: block.block_id})])),
    }, "⋯");
  }
  if (t === "image") return h("span", {className: "bk-image-alt"}, `[image: ${el.alt_text || ""}]`);
  return h("span", {className: "bk-image-alt"}, `[${t}]`);
}

function inputControl(block, view) {
  const el = block.element || {};
  const t = el.type;
  const label = block.label.text;
  const draft = (S.drafts[view.id] || {});
  const has = Object.prototype.hasOwnProperty.call(draft, label);
  const set = (v) => { (S.drafts[view.id] = S.drafts[view.id] || {})[label] = v; };
  const common = {"data-label": label, "aria-label": label};
  if (t === "plain_text_input" || t === "email_text_input" || t === "url_text_input" || t === "number_input") {
    const value = has ? draft[label] : (el.initial_value || "");
    const attrs = {...common, placeholder: el.placeholder && el.placeholder.text, maxlength: el.max_length,
      oninput: (e) => set(e.target.value)};
    if (el.multiline) return h("textarea", attrs, value);
    const input = h("input", {...attrs, type: t === "number_input" ? "number" : "text"});
    input.value = value;
    return input;
  }
  if (t === "static_select" || t === "users_select") {
    const opts = t === "users_select"
      ? humans().map((u) => [u.id, `${u.real_name} (@${u.name})`])
      : optionsOf(el).map((o) => [o.text.text, o.text.text]);
    const initial = t === "users_select" ? el.initial_user
      : (el.initial_option ? el.initial_option.text.text : "");
    const value = has ? draft[label] : (initial || "");
    return h("select", {...common, onchange: (e) => set(e.target.value)},
      h("option", {value: "", selected: !value}, (el.placeholder && el.placeholder.text) || "Select…"),
      opts.map(([v, text]) => h("option", {value: v, selected: v === value}, text)));
  }
  if (t === "multi_users_select" || t === "multi_static_select") {
    const opts = t === "multi_users_select"
      ? humans().map((u) => [u.id, `${u.real_name} (@${u.name})`])
      : optionsOf(el).map((o) => [o.text.text, o.text.text]);
    const initial = t === "multi_users_select" ? (el.initial_users || [])
      : (el.initial_options || []).map((o) => o.text.text);
    const value = has ? draft[label] : initial;
    return h("select", {...common, multiple: true,
      onchange: (e) => set([...e.target.selectedOptions].map((o) => o.value))},
    opts.map(([v, text]) => h("option", {value: v, selected: value.includes(v)}, text)));
  }
  if (t === "checkboxes" || t === "radio_buttons") {
    const initial = t === "checkboxes" ? (el.initial_options || []).map((o) => o.text.text)
      : (el.initial_option ? [el.initial_option.text.text] : []);
    const value = has ? [].concat(draft[label]) : initial;
    const box = h("div", common);
    for (const o of optionsOf(el)) {
      const name = o.text.text;
      box.append(h("label", {className: "bk-choice"},
        h("input", {
          type: t === "checkboxes" ? "checkbox" : "radio", name: `${view.id}-${block.block_id}`,
          value: name, checked: value.includes(name),
          onchange: () => {
            const picked = [...box.querySelectorAll("input:checked")].map((i) => i.value);
            set(t === "checkboxes" ? picked : (picked[0] || ""));
          },
        }), " ", h("span", {html: textObj(o.text)}),
        o.description ? h("div", {className: "hint", html: textObj(o.description)}) : null));
    }
    return box;
  }
  if (t === "datepicker" || t === "timepicker") {
    const input = h("input", {...common, type: t === "datepicker" ? "date" : "time",
      oninput: (e) => set(e.target.value)});
    input.value = has ? draft[label] : (el.initial_date || el.initial_time || "");
    return input;
  }
  return h("span", {className: "bk-image-alt"}, `[${t} is not supported in the sandbox]`);
}

function renderBlock(b, ctx) {
  switch (b.type) {
    case "header":
      return h("div", {className: "bk-header", html: textObj(b.text)});
    case "section": {
      const text = h("div", {className: "text"});
      if (b.text) text.append(h("div", {html: textObj(b.text)}));
      if (b.fields) text.append(h("div", {className: "bk-fields"}, b.fields.map((f) => h("div", {html: textObj(f)}))));
      return h("div", {className: "bk-section", "data-block-id": b.block_id},
        text, b.accessory ? element(b.accessory, b, ctx) : null);
    }
    case "context":
      return h("div", {className: "bk-context"}, (b.elements || []).map((e) => (e.type === "image"
        ? h("span", {className: "bk-image-alt"}, `[${e.alt_text || "image"}]`)
        : h("span", {html: textObj(e)}))));
    case "divider":
      return h("hr", {className: "bk-divider"});
    case "actions":
      return h("div", {className: "bk-actions", "data-block-id": b.block_id},
        (b.elements || []).map((e) => element(e, b, ctx)));
    case "image":
      return h("div", {className: "bk-image-alt"}, `[image: ${b.alt_text || ""}]`);
    case "rich_text":
      return h("div", {html: esc(collectText(b)).replace(/\n/g, "<br>")});
    case "input": {
      if (!ctx.view) return null;
      const err = (ctx.errors || {})[b.block_id];
      return h("div", {className: `bk-input${err ? " has-error" : ""}`, "data-block-id": b.block_id},
        h("label", {}, b.label.text, b.optional ? h("span", {className: "optional"}, " (optional)") : null),
        inputControl(b, ctx.view),
        b.hint ? h("div", {className: "hint", html: textObj(b.hint)}) : null,
        err ? h("div", {className: "error"}, err) : null);
    }
    default:
      return h("div", {className: "bk-image-alt"}, `[${b.type} block]`);
  }
}
function collectText(node) {
  if (Array.isArray(node)) return node.map(collectText).join("");
  if (node && typeof node === "object") {
    if (typeof node.text === "string") return node.text;
    if (node.type === "user") return `@${userName(node.user_id)}`;
    return collectText(node.elements || []);
  }
  return "";
}
function renderBlocks(blocks, ctx) {
  return h("div", {className: "blocks"}, (blocks || []).map((b) => renderBlock(b, ctx)));
}

// ---------------------------------------------------------------------------------------------
// Messages

const COLOURS = ["#e8912d", "#2bac76", "#1264a3", "#e01e5a", "#9f69e7", "#4a154b"];
function avatar(m) {
  const name = m.user_name || "?";
  const colour = m.is_bot ? "#e8912d" : COLOURS[[...name].reduce((a, c) => a + c.charCodeAt(0), 0) % COLOURS.length];
  return h("div", {className: "avatar", style: `background:${colour}`}, name[0].toUpperCase());
}

function renderAttachment(a, ctx) {
  const inner = h("div", {className: "inner"});
  if (a.pretext) inner.append(h("div", {html: mrkdwn(a.pretext)}));
  if (a.title) inner.append(h("div", {className: "att-title", html: mrkdwn(a.title)}));
  if (a.blocks && a.blocks.length) inner.append(renderBlocks(a.blocks, ctx));
  else if (a.text) inner.append(h("div", {html: mrkdwn(a.text)}));
  if (a.fields) {
    inner.append(h("div", {className: "bk-fields"}, a.fields.map((f) => h("div", {html: `<b>${esc(f.title || "")}</b><br>${mrkdwn(f.value || "")}`}))));
  }
  const colour = {good: "#2eb67d", warning: "#ecb22e", danger: "#e01e5a"}[a.color] || a.color || "#ddd";
  return h("div", {className: "attachment"}, h("div", {className: "bar", style: `background:${colour}`}), inner);
}

function renderMessage(m, {inThread = false} = {}) {
  const ctx = {target: {channel: m.channel, ts: m.ts}};
  const body = h("div", {className: "body"},
    h("div", {className: "meta"}, h("b", {}, m.user_name), m.is_bot ? h("span", {className: "badge"}, "APP") : null,
      h("span", {className: "time date", "data-ts": Math.floor(Number(m.ts)), "data-fmt": "{time}"}, slackDate(Number(m.ts), "{time}")),
      m.edited ? h("span", {className: "edited"}, "(edited)") : null,
      m.ephemeral ? h("span", {className: "only-you"}, "Only visible to you") : null));
  if (m.blocks && m.blocks.length) body.append(renderBlocks(m.blocks, ctx));
  else if (m.text) body.append(h("div", {className: "text", html: mrkdwn(m.text)}));
  for (const a of m.attachments || []) body.append(renderAttachment(a, ctx));
  if (m.files && m.files.length) body.append(h("div", {className: "files"}, m.files.map(fileChip)));
  if (!inThread && m.reply_count) {
    body.append(h("div", {className: "thread-link", onclick: () => openThread(m.ts)},
      `${m.reply_count} ${m.reply_count === 1 ? "reply" : "replies"}`));
  }
  const classes = ["msg", m.ephemeral ? "ephemeral" : "", m.ts === S.highlight ? "highlight" : ""];
  const el = h("div", {className: classes.filter(Boolean).join(" "), "data-ts": m.ts, "data-channel": m.channel},
    avatar(m), body);
  if (!m.ephemeral) {
    el.append(h("div", {className: "msg-menu"}, h("button", {
      type: "button", title: "More actions", className: "msg-more",
      onclick: (e) => openMenu(e.currentTarget, MENUS.message(m, {inThread}), "Shortcuts"),
    }, "⋮")));
  }
  return el;
}

function fileChip(f) {
  return h("button", {type: "button", className: "file-chip", "data-file-id": f.id, title: f.name,
    onclick: () => openFile(f)},
  h("span", {className: "file-icon"}, "📄"), h("span", {}, h("b", {}, f.title),
    h("span", {className: "file-meta"}, `${f.name} · ${f.size} bytes`)));
}

// Files shared in a channel, its threads included, newest first.
function channelFiles(channelId) {
  const out = [];
  for (const m of (S.snap.messages[channelId] || [])) {
    for (const x of [m, ...(m.replies || [])]) out.push(...(x.files || []));
  }
  return out.reverse();
}

async function openFile(f) {
  const shown = {...f, text: null, error: null};
  S.file = shown;
  renderFile();
  try {
    const res = await fetch(`/api/files/${encodeURIComponent(f.id)}`);
    if (res.ok) shown.text = await res.text();
    else shown.error = `The file could not be read (${res.status}).`;
  } catch (e) {
    shown.error = UNREACHABLE;
  }
  if (S.file === shown) renderFile();  // unless it was closed meanwhile
}

function closeFile() { S.file = null; renderFile(); }

function renderFile() {
  const root = $("#file-root");
  const f = S.file;
  if (!f) { root.replaceChildren(); return; }
  const panel = h("div", {className: "file-viewer", role: "dialog", "aria-label": f.title, "data-file-id": f.id},
    h("div", {className: "modal-head"}, h("span", {}, `📄 ${f.title}`),
      h("button", {type: "button", title: "Close", onclick: closeFile}, "✕")),
    h("div", {className: "modal-body"}, f.error ? h("div", {className: "error"}, f.error)
      : f.text === null ? h("div", {className: "empty"}, "Loading…") : h("pre", {className: "file-text"}, f.text)));
  root.replaceChildren(backdrop(panel, closeFile));
}

// A dimmed backdrop around a dialog: a click on it (pressed and released there) closes it.
function backdrop(dialog, close) {
  let downOnBackdrop = false;
  return h("div", {className: "overlay",
    onmousedown: (e) => { downOnBackdrop = e.target === e.currentTarget; },
    onclick: (e) => { if (downOnBackdrop && e.target === e.currentTarget) close(); downOnBackdrop = false; },
  }, dialog);
}

// ---------------------------------------------------------------------------------------------
// Links: a permalink of this workspace (a card's View, a link in a message) opens in the page.

function isPermalink(url) {
  const domain = S.snap && S.snap.team_domain;
  return Boolean(domain) && String(url).startsWith(`https://${domain}.slack.com/archives/`);
}

async function openLink(url) {
  if (!isPermalink(url)) { window.open(url, "_blank", "noopener"); return; }
  const res = await call(`/api/permalink?url=${encodeURIComponent(url)}`);
  if (!res.ok) { toast(res.error || "That link did not open.", true); return; }
  S.pane = "channel";
  S.channel = res.channel;
  S.highlight = res.ts;
  S.threadTs = res.thread_ts || res.ts;  // the message with its thread open beside it
  S.sigs = {...S.sigs, main: null, thread: null, sidebar: null};
  render();
  const el = document.querySelector(`#messages .msg[data-ts="${CSS.escape(res.ts)}"]`)
    || document.querySelector(`#thread-messages .msg[data-ts="${CSS.escape(res.ts)}"]`);
  if (el) el.scrollIntoView({block: "center"});
}

// ---------------------------------------------------------------------------------------------
// Menus and toolbar actions, all declared here: a new one is one entry in MENUS.

const MENUS = {
  // Buttons in the top bar; `menu` opens that menu, `run` acts directly.
  toolbar: [
    {id: "shortcuts-button", label: "⚡ Shortcuts", title: () => "Global shortcuts",
      menu: () => MENUS.global(), menuTitle: "Beacon shortcuts"},
    {id: "fire-alert", label: "🚨 Fire a test alert", run: fireAlert,
      enabled: (snap) => snap.alert.enabled,
      title: (snap) => (snap.alert.enabled ? "Post a sample Alertmanager alert to Beacon's intake API" : snap.alert.reason)},
    {id: "steps-button", label: "⚙ Run workflow step", title: () => "Run one of Beacon's workflow steps",
      menu: () => STEPS.map((step) => [step.title, () => stepForm(step)]), menuTitle: "Workflow steps"},
  ],
  // The app's global shortcuts (manifest.yml).
  global: () => (S.snap.shortcuts.global || []).map((sc) => [sc.name,
    () => api("/api/shortcut", {callback_id: sc.callback_id})]),
  // A message's ⋮ menu: message shortcuts, then the page's own items.
  message: (m, {inThread}) => [
    ...(S.snap.shortcuts.message || []).map((sc) => [sc.name,
      () => api("/api/shortcut", {callback_id: sc.callback_id, channel: m.channel, ts: m.ts})]),
    ...(inThread ? [] : [["Reply in thread", () => openThread(m.ts)]]),
  ],
  // The channel header's file list.
  files: (channelId) => channelFiles(channelId).map((f) => [`📄 ${f.title}`, () => openFile(f)]),
};

async function fireAlert() {
  const res = await api("/api/alert", {});
  if (res.ok) toast("Sent a sample Alertmanager alert to Beacon's intake API.");
}

function renderToolbar(snap) {
  const bar = $("#toolbar");
  if (!bar.children.length) {
    bar.replaceChildren(...MENUS.toolbar.map((item) => h("button", {
      type: "button", id: item.id,
      onclick: (e) => {
        if (!item.menu) { item.run(); return; }
        e.stopPropagation();
        openMenu(e.currentTarget, item.menu(), item.menuTitle);
      },
    }, item.label)));
  }
  for (const item of MENUS.toolbar) {
    const btn = document.getElementById(item.id);
    btn.disabled = item.enabled ? !item.enabled(snap) : false;
    btn.title = item.title ? item.title(snap) : "";
  }
}

function closeMenu() { $("#menu-root").innerHTML = ""; }

function openMenu(anchor, items, title) {
  const root = $("#menu-root");
  root.innerHTML = "";
  const r = anchor.getBoundingClientRect();
  const menu = h("div", {className: "menu", style: `top:${r.bottom + 4}px;left:${Math.max(8, r.right - 220)}px`},
    title ? h("div", {className: "menu-title"}, title) : null,
    items.map(([label, fn]) => h("button", {type: "button", onclick: () => { root.innerHTML = ""; fn(); }}, label)));
  root.append(menu);
  setTimeout(() => document.addEventListener("click", () => { root.innerHTML = ""; }, {once: true}), 0);
}

// ---------------------------------------------------------------------------------------------
// Rendering the page

function sig(value) { return JSON.stringify(value); }
function changed(region, value) {
  const s = sig(value);
  if (S.sigs[region] === s) return false;
  S.sigs[region] = s;
  return true;
}

function currentChannel() {
  const chans = S.snap.channels;
  if (!S.channel || !chans.find((c) => c.id === S.channel)) {
    const first = chans.find((c) => c.name === "incidents") || chans[0];
    S.channel = first && first.id;
  }
  return chans.find((c) => c.id === S.channel);
}

function render() {
  const snap = S.snap;
  renderTop(snap);
  renderWorkspaces(snap);
  const chan = currentChannel();
  renderSidebar(snap);
  const pane = S.pane === "home" ? {home: snap.home} : {
    chan, msgs: snap.messages[S.channel] || [],
    eph: snap.ephemerals.filter((m) => m.channel === S.channel && !m.thread_ts),
  };
  if (changed("main", [S.user, S.pane, S.highlight, pane])) renderMain(pane);
  renderThread(snap);
  renderModal(snap);
  markSeen(chan);
}

// The channel on screen is read: its unread count goes once the server knows.
function markSeen(chan) {
  if (S.pane !== "channel" || !chan || !chan.unread || S.marking) return;
  S.marking = true;
  api("/api/seen", {channel: chan.id}).finally(() => { S.marking = false; });
}

function renderTop(snap) {
  $("#team").textContent = snap.team;
  const picker = $("#user-picker");
  if (changed("people", snap.people)) {
    picker.innerHTML = "";
    for (const name of snap.people) picker.append(h("option", {value: name}, name));
  }
  picker.value = S.user;
  renderToolbar(snap);
}

// Slack's rail of workspaces (several only with `--workspaces 2`), and "Add to Slack": Beacon's
// own install page in a new tab (its authorize page, then back to Beacon), as an admin does.
function renderWorkspaces(snap) {
  const rail = $("#workspaces");
  const list = snap.workspaces || [];
  rail.hidden = list.length < 2;
  if (rail.hidden || !changed("workspaces", [list, snap.team_id, snap.install_url])) return;
  rail.replaceChildren(...list.map((w) => h("button", {
    type: "button", "data-team": w.id, "aria-label": w.name,
    className: ["ws", w.id === snap.team_id ? "active" : "", w.installed ? "" : "not-installed"].filter(Boolean).join(" "),
    title: w.installed ? w.name : `${w.name}: Beacon is not installed here yet (Add to Slack)`,
    onclick: () => switchTeam(w.id === list[0].id ? null : w.id),
  }, h("span", {className: "ws-icon"}, w.name[0]), h("span", {className: "ws-name"}, w.name))),
  snap.install_url ? h("a", {id: "add-to-slack", href: snap.install_url, target: "_blank", rel: "noopener",
    title: "Install Beacon in another workspace (Beacon's install page, then Slack's)"}, "+ Add to Slack") : "");
}

function switchTeam(team) {
  if (team === S.team) return;
  S.team = team;
  S.user = localStorage.getItem(userKey(team));
  S.channel = null; S.pane = "channel"; S.threadTs = null; S.highlight = null;
  S.sigs = {};
  const url = new URL(location.href);
  if (team) url.searchParams.set("team", team); else url.searchParams.delete("team");
  url.searchParams.delete("user");
  history.replaceState(null, "", url);
  refresh();
}

function renderSidebar(snap) {
  if (!changed("sidebar", [snap.channels, S.channel, S.pane])) return;
  const item = (c) => {
    const active = S.pane === "channel" && c.id === S.channel;
    return h("li", {}, h("a", {
      href: "#", "data-channel": c.name, "data-unread": c.unread || 0,
      className: [active ? "active" : "", c.unread && !active ? "unread" : ""].filter(Boolean).join(" "),
      onclick: (e) => {
        e.preventDefault();
        S.pane = "channel"; S.channel = c.id; S.threadTs = null; S.highlight = null;
        render();
      },
    }, h("span", {className: "name"}, c.kind === "dm" ? "● Beacon" : `${c.is_private ? "🔒" : "#"} ${c.name}`),
    c.unread && !active ? h("span", {className: "unread-count"}, String(c.unread)) : null));
  };
  $("#channels").replaceChildren(...snap.channels.filter((c) => c.kind === "channel").map(item));
  $("#dms").replaceChildren(...snap.channels.filter((c) => c.kind === "dm").map(item));
  $("#home-link").className = S.pane === "home" ? "active" : "";
}

function renderMain(pane) {
  const list = $("#messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  $("#composer").hidden = S.pane === "home";
  if (S.pane === "home") {
    $("#channel-header").replaceChildren(h("span", {}, "Beacon"), h("span", {className: "sub"}, "Home"));
    list.replaceChildren(pane.home
      ? h("div", {className: "home"}, renderBlocks(pane.home.blocks, {target: {view_id: pane.home.id}, view: pane.home}))
      : h("div", {className: "empty"}, "Opening Beacon's Home tab…"));
    refreshDates(list);
    return;
  }
  const c = pane.chan;
  const files = channelFiles(c.id);
  $("#channel-header").replaceChildren(
    h("span", {}, c.kind === "dm" ? "Beacon" : `${c.is_private ? "🔒" : "#"} ${c.name}`),
    h("span", {className: "sub"}, c.kind === "dm" ? "your direct messages with the app" : (c.is_member ? "" : "you are not a member")),
    ...(files.length ? [h("button", {type: "button", id: "files-button", title: "Files shared in this conversation",
      onclick: (e) => { e.stopPropagation(); openMenu(e.currentTarget, MENUS.files(c.id), "Files"); }},
    `📎 ${files.length} ${files.length === 1 ? "file" : "files"}`)] : []));
  const all = [...pane.msgs, ...pane.eph].sort((a, b) => Number(a.ts) - Number(b.ts));
  list.replaceChildren(...(all.length ? all.map((m) => renderMessage(m))
    : [h("div", {className: "empty"}, "No messages yet. Try /incident help, or /incident to declare one.")]));
  refreshDates(list);
  if (atBottom || !S.sigs.scrolled) { list.scrollTop = list.scrollHeight; S.sigs.scrolled = true; }
}

function openThread(ts) { S.threadTs = ts; S.sigs.thread = null; render(); }

function renderThread(snap) {
  const pane = $("#thread");
  const parent = S.pane === "channel" && S.threadTs
    && (snap.messages[S.channel] || []).find((m) => m.ts === S.threadTs);
  if (!parent) { pane.hidden = true; return; }
  const eph = snap.ephemerals.filter((m) => m.channel === S.channel && m.thread_ts === S.threadTs);
  if (!changed("thread", [parent, eph]) && !pane.hidden) return;
  pane.hidden = false;
  const replies = [...(parent.replies || []), ...eph].sort((a, b) => Number(a.ts) - Number(b.ts));
  $("#thread-messages").replaceChildren(renderMessage(parent, {inThread: true}),
    h("div", {className: "thread-sep"}, `${replies.length} ${replies.length === 1 ? "reply" : "replies"}`),
    ...replies.map((m) => renderMessage(m, {inThread: true})));
  refreshDates($("#thread"));
}

function renderModal(snap) {
  const root = $("#modal-root");
  const top = snap.views[snap.views.length - 1];
  if (!changed("modal", [top, S.clientErrors[top && top.id]])) return;
  if (!top) { root.replaceChildren(); return; }
  const errors = {...top.errors, ...(S.clientErrors[top.id] || {})};
  const ctx = {target: {view_id: top.id}, view: top, errors};
  const form = h("form", {className: "modal", role: "dialog", "aria-label": top.title, "data-view-id": top.id,
    onsubmit: (e) => { e.preventDefault(); submitModal(top); }},
  h("div", {className: "modal-head"}, h("span", {}, top.title),
    h("button", {type: "button", title: "Close", onclick: () => closeModal(top)}, "✕")),
  h("div", {className: "modal-body"}, renderBlocks(top.blocks, ctx)),
  h("div", {className: "modal-foot"},
    h("button", {type: "button", className: "bk-button", onclick: () => closeModal(top)}, snap.views.length > 1 ? "Back" : top.close),
    top.submit ? h("button", {type: "submit", className: "bk-button primary"}, top.submit) : null));
  root.replaceChildren(backdrop(form, () => closeModal(top)));
  refreshDates(root);
  const first = form.querySelector("input[type=text], textarea");
  if (first && !root.contains(document.activeElement)) first.focus();
}

function modalValues(view) {
  // What the person entered, keyed by input label (the driver fills by label, as people do).
  const values = {}, missing = {};
  for (const b of view.blocks.filter((x) => x.type === "input")) {
    const label = b.label.text, el = b.element || {};
    const ctl = document.querySelector(`.modal [data-label="${CSS.escape(label)}"]`);
    if (!ctl) continue;
    let v;
    if (el.type === "checkboxes") v = [...ctl.querySelectorAll("input:checked")].map((i) => i.value);
    else if (el.type === "radio_buttons") v = (ctl.querySelector("input:checked") || {}).value || "";
    else if (ctl.multiple) v = [...ctl.selectedOptions].map((o) => o.value);
    else v = ctl.value;
    const empty = v === "" || (Array.isArray(v) && v.length === 0);
    if (empty && !b.optional) missing[b.block_id] = "Please complete this required field.";
    if (empty && !["plain_text_input", "checkboxes", "multi_static_select", "multi_users_select"].includes(el.type)) continue;
    values[label] = v;
  }
  return {values, missing};
}

async function submitModal(view) {
  const {values, missing} = modalValues(view);
  S.clientErrors[view.id] = missing;
  if (Object.keys(missing).length) { S.sigs.modal = null; renderModal(S.snap); return; }
  const res = await api("/api/submit", {view_id: view.id, values});
  if (res.ok && !Object.keys(res.errors || {}).length) delete S.drafts[view.id];
}

async function closeModal(view) {
  delete S.drafts[view.id];
  await api("/api/close", {view_id: view.id});
}

// ---------------------------------------------------------------------------------------------
// Wiring

function setUser(name) {
  S.user = name;
  localStorage.setItem(userKey(S.team), name);
  S.threadTs = null;
  S.sigs = {};
  refresh();
}

async function send(input, extra) {
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  await api("/api/command", {channel: S.channel, text, ...extra});
}

document.addEventListener("DOMContentLoaded", () => {
  $("#user-picker").addEventListener("change", (e) => setUser(e.target.value));
  $("#composer").addEventListener("submit", (e) => { e.preventDefault(); send($("#composer-input"), {}); });
  $("#thread-composer").addEventListener("submit", (e) => {
    e.preventDefault();
    send($("#thread-input"), {thread_ts: S.threadTs});
  });
  $("#thread-close").addEventListener("click", () => { S.threadTs = null; render(); });
  $("#home-link").addEventListener("click", (e) => {
    e.preventDefault();
    S.pane = "home";
    S.threadTs = null;
    render();
    api("/api/home", {});
  });
  // Esc closes what is on top: the file viewer, a menu, then the modal (as Slack's Esc does).
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    const top = S.snap && S.snap.views[S.snap.views.length - 1];
    if (S.file) closeFile();
    else if ($("#menu-root").children.length) closeMenu();
    else if (top) closeModal(top);
    else return;
    e.preventDefault();
  });
  // A link to a message of this workspace opens it here rather than in a new tab.
  document.addEventListener("click", (e) => {
    const a = e.target.closest && e.target.closest("a.permalink");
    if (!a) return;
    e.preventDefault();
    openLink(a.href);
  });
  setInterval(() => refreshDates(), 20000);
  refresh().then(connectLive);
});

// ---------------------------------------------------------------------------------------------
// ⚙ Run workflow step: what a Slack workflow does when it reaches one of Beacon's custom steps
// (manifest.yml `functions`), so a person can see it work without a paid workspace.

const STEP_HINTS = {
  "slack#/types/user_id": "U… (a person's id)",
  "slack#/types/channel_id": "C… (a channel's id)",
};

function stepInput(input, required) {
  if (input.type === "boolean") {
    return h("label", {className: "step-field"},
      h("input", {type: "checkbox", name: input.name}), " " + input.title);
  }
  const person = input.type === "slack#/types/user_id";
  const field = person
    ? h("select", {name: input.name},
        h("option", {value: ""}, "—"),
        ...humans().map((u) => h("option", {value: u.id}, u.name)))
    : h("input", {name: input.name, placeholder: STEP_HINTS[input.type] || ""});
  return h("label", {className: "step-field"}, input.title + (required ? " *" : ""), field);
}

function stepRoot() {
  // Its own root: the page re-renders #modal-root from the emulator's views.
  let root = $("#step-root");
  if (!root) { root = h("div", {id: "step-root"}); document.body.append(root); }
  return root;
}

function stepForm(step) {
  const root = stepRoot();
  const close = () => root.replaceChildren();
  const form = h("form", {className: "modal step-form", role: "dialog", "aria-label": step.title},
    h("div", {className: "modal-head"}, h("span", {}, "⚙ " + step.title),
      h("button", {type: "button", title: "Close", onclick: close}, "✕")),
    h("div", {className: "modal-body"},
      ...step.inputs.map((i) => stepInput(i, step.required.includes(i.name)))),
    h("div", {className: "modal-foot"},
      h("button", {type: "button", className: "bk-button", onclick: close}, "Cancel"),
      h("button", {type: "submit", className: "bk-button primary"}, "Run step")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const inputs = {};
    for (const i of step.inputs) {
      const el = form.elements[i.name];
      if (i.type === "boolean") { if (el.checked) inputs[i.name] = true; }
      else if (el.value.trim()) inputs[i.name] = el.value.trim();
    }
    close();
    toast(`Running “${step.title}”…`);
    const res = await api("/api/step", {callback_id: step.callback_id, inputs});
    if (!res.ok) return;
    toast(res.state === "completed"
      ? `✓ ${step.title}: ${JSON.stringify(res.outputs)}`
      : `✗ ${step.title} failed: ${res.error}`);
  });
  root.replaceChildren(h("div", {className: "overlay"}, form));
}

// The steps manifest.yml declares, read once for the toolbar's menu (MENUS.toolbar).
let STEPS = [];
document.addEventListener("DOMContentLoaded", async () => {
  const res = await fetch("/api/steps").then((r) => r.json()).catch(() => ({}));
  STEPS = res.steps || [];
});
