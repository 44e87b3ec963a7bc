// Mitmach-Bot web chat. Everything residents or the bot write is inserted as text,
// never as HTML. Buttons are real <button>s; new messages are announced by the log region.
//
// Nothing the resident sends is lost: each message carries an id and stays in `pending`
// until the server says it was handled ("done"); after a reconnect the page sends what is
// still pending once more, and the server handles an id only once. The last messages are
// kept in this browser (localStorage) so that a reload shows the conversation; erasing
// one's data clears them.
"use strict";

(function () {
  const chat = document.getElementById("chat");
  const log = document.getElementById("log");
  const menu = document.getElementById("menu");
  const status = document.getElementById("status");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const label = document.getElementById("message-label");
  const send = document.getElementById("send");
  const count = document.getElementById("count");
  const spoken = document.getElementById("count-spoken");
  const save = document.getElementById("save");
  const tools = save.parentElement;
  const HISTORY = "mitmach.history";
  const PENDING = "mitmach.pending";
  const KEEP = 50;
  const RETRY_DELAYS = [250, 1000, 2000, 3000, 5000];
  let ui = Object.assign({}, chat.dataset);
  let socket = null;
  let retry = 0;
  let online = false;
  let menuUsed = false;
  let everOpened = false;
  let limit = null;
  let announce = null;
  const shown = new Set();
  // What this tab sent and the server has not handled yet is the tab's own (sessionStorage);
  // the conversation is the browser's (localStorage), the same in every tab. A browser may deny
  // both (a chat framed on another site with third-party storage blocked): it works all the same.
  const tabStorage = storage("sessionStorage");
  const browserStorage = storage("localStorage");
  let pending = load(tabStorage, PENDING);
  let history = load(browserStorage, HISTORY);
  let opening = linkInAddress();

  // A link to an idea („Freunde einladen": …/?idea=42) or a topic (?field=3): the first socket
  // asks the bot to open it, and the address forgets it, so that a reload shows the conversation
  // where it is, not the link again.
  function linkInAddress() {
    const query = new URLSearchParams(location.search);
    let found = null;
    for (const kind of ["idea", "field"]) {
      const number = query.get(kind);
      if (!found && number && /^[0-9]{1,9}$/.test(number)) found = kind + "_" + number;
    }
    if (query.has("idea") || query.has("field")) {
      query.delete("idea");
      query.delete("field");
      const rest = query.toString();
      replaceAddress(location.pathname + (rest ? "?" + rest : "") + location.hash);
    }
    return found;
  }

  function replaceAddress(address) {
    try {
      window.history.replaceState(null, "", address);
    } catch (error) {
      // a sandboxed frame may refuse it: the link is then opened again on a reload
    }
  }

  function storage(name) {
    try {
      return window[name];
    } catch (error) {
      return null;
    }
  }

  function load(where, key) {
    try {
      const value = JSON.parse((where && where.getItem(key)) || "[]");
      return Array.isArray(value) ? value : [];
    } catch (error) {
      return [];
    }
  }

  function store(where, key, value) {
    try {
      if (where) where.setItem(key, JSON.stringify(value));
    } catch (error) {
      // a browser that keeps nothing (private mode, full storage): the chat works all the same
    }
  }

  function remember(entry) {
    history.push(entry);
    history = history.slice(-KEEP);
    store(browserStorage, HISTORY, history);
  }

  function newId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function stamp(entry, at) {
    const time = document.createElement("time");
    const when = new Date(at);
    time.dateTime = when.toISOString();
    time.textContent = when.toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
    time.className = "stamp";
    entry.appendChild(time);
  }

  function say(who, node, at) {
    const entry = document.createElement("div");
    entry.className = "message " + who;
    // The bot's messages carry the page's language and direction; what a resident typed may be in any.
    if (who === "you") entry.dir = "auto";
    else {
      entry.lang = document.documentElement.lang;
      entry.dir = document.documentElement.dir || "ltr";
    }
    const speaker = document.createElement("span");
    speaker.className = "visually-hidden";
    speaker.textContent = (who === "you" ? ui.you : ui.bot) + " ";
    entry.appendChild(speaker);
    entry.appendChild(node);
    stamp(entry, at || Date.now());
    log.appendChild(entry);
    reveal();
    return entry;
  }

  // The newest message and the text field in view, on a wide screen and on a phone: the
  // page's end (where the field is), then back up to the message's start if it is taller
  // than what is left of the screen.
  function reveal() {
    const newest = log.lastElementChild;
    window.scrollBy(0, tools.getBoundingClientRect().top - window.innerHeight);
    if (newest && newest.getBoundingClientRect().top < 0) {
      window.scrollBy(0, newest.getBoundingClientRect().top - 8);
    }
  }

  function paragraph(text) {
    const p = document.createElement("p");
    p.textContent = text;
    return p;
  }

  function youSaid(text, at) {
    say("you", paragraph(text), at);
    remember({ who: "you", text: text, at: at || Date.now() });
  }

  function span(data) {
    let node;
    if (data.style === "bold") node = document.createElement("strong");
    else if (data.style === "italic") node = document.createElement("em");
    else if (data.style === "link" && /^https?:\/\//.test(data.url || "")) {
      node = document.createElement("a");
      node.href = data.url;
      node.rel = "noopener noreferrer";
    } else node = document.createElement("span");
    node.textContent = data.text;
    return node;
  }

  function blocks(list) {
    const body = document.createElement("div");
    let items = null;
    for (const block of list) {
      const target = document.createElement(block.item ? "li" : "p");
      if (block.lang) target.lang = block.lang;
      target.dir = "auto";
      block.spans.forEach((s) => target.appendChild(span(s)));
      if (block.item) {
        if (!items) {
          items = document.createElement("ul");
          body.appendChild(items);
        }
        items.appendChild(target);
      } else {
        items = null;
        body.appendChild(target);
      }
    }
    return body;
  }

  function attachment(file) {
    const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([bytes], { type: file.mimeType }));
    link.download = file.filename;
    link.textContent = ui.download.replace("{filename}", file.filename);
    const p = document.createElement("p");
    p.appendChild(link);
    return p;
  }

  function applyLanguage(frame) {
    ui = Object.assign(ui, frame.ui || {});
    document.documentElement.lang = frame.language || document.documentElement.lang;
    document.documentElement.dir = frame.dir || document.documentElement.dir;
    label.textContent = ui.input;
    document.title = ui.title;
    document.getElementById("page-heading").textContent = ui.name;
    document.getElementById("log-heading").textContent = ui.log;
    const intro = document.getElementById("intro");
    if (intro) intro.textContent = ui.intro;
    send.textContent = ui.send;
    menu.setAttribute("aria-label", ui.options);
    document.querySelectorAll("[data-text]").forEach((node) => {
      if (ui[node.dataset.text]) node.textContent = ui[node.dataset.text];
    });
    const logo = document.getElementById("logo");
    if (logo && ui.logo) logo.alt = ui.logo;
  }

  function button(data, onPress) {
    const element = document.createElement("button");
    element.type = "button";
    element.dir = "auto";
    if (data.pressed === undefined) element.textContent = data.label;
    else {
      // a switch (a news subscription): its state is told by aria-pressed, the mark only shows it
      element.setAttribute("aria-pressed", String(data.pressed));
      const mark = document.createElement("span");
      mark.setAttribute("aria-hidden", "true");
      mark.textContent = data.mark + " ";
      element.append(mark, data.text);
    }
    element.disabled = !online;
    element.addEventListener("click", () => onPress(element));
    return element;
  }

  // The menu is never given a button as the default focus: an Enter meant for the earlier
  // screen must not choose (or approve, or delete) anything. Focus goes to the group of
  // options; Tab reaches the first one.
  function showMenu(rows, expectsText) {
    menu.replaceChildren();
    menuUsed = false;
    for (const row of rows) {
      const line = document.createElement("div");
      line.className = "menu-row";
      for (const data of row) line.appendChild(button(data, () => press(data, menu)));
      menu.appendChild(line);
    }
    if (expectsText || rows.length === 0) input.focus({ preventScroll: true });
    else menu.focus({ preventScroll: true });
    reveal();
  }

  // A notification's own buttons (Approve, Read the idea) stay in its message: they never
  // replace the menu and never take the focus.
  function inlineButtons(entry, rows) {
    const group = document.createElement("div");
    group.className = "menu-row inline";
    for (const row of rows) for (const data of row) group.appendChild(button(data, () => press(data, group)));
    entry.appendChild(group);
  }

  function press(data, group) {
    youSaid(data.label);
    group.querySelectorAll("button").forEach((b) => (b.disabled = true));
    if (group === menu) menuUsed = true;
    transmit({ type: "button", payload: data.payload, label: data.label });
  }

  function transmit(message) {
    message.id = newId();
    pending.push(message);
    store(tabStorage, PENDING, pending);
    if (online) socket.send(JSON.stringify(message));
  }

  function setOnline(state) {
    online = state;
    chat.classList.toggle("offline", !state);
    log.setAttribute("aria-busy", "false");
    log.querySelectorAll(".inline button").forEach((b) => (b.disabled = !state));
    if (!menuUsed) menu.querySelectorAll("button").forEach((b) => (b.disabled = !state));
  }

  function showBot(frame, at) {
    const entry = say("bot", blocks(frame.blocks), at);
    if (frame.attachment) entry.appendChild(attachment(frame.attachment));
    return entry;
  }

  function erased(frame) {
    history = [];
    pending = [];
    store(browserStorage, HISTORY, history);
    store(tabStorage, PENDING, pending);
    log.replaceChildren();
    applyLanguage(frame);
    showBot(frame);
    showMenu([[{ label: ui.restart, payload: "" }]], false);
    const restart = menu.querySelector("button");
    restart.replaceWith(restart.cloneNode(true));
    menu.querySelector("button").addEventListener("click", () => {
      youSaid("/start");
      transmit({ type: "text", text: "/start" });
    });
  }

  function receive(event) {
    const frame = JSON.parse(event.data);
    if (frame.type === "done") {
      pending = pending.filter((message) => message.id !== frame.id);
      store(tabStorage, PENDING, pending);
      return;
    }
    if (frame.type === "echo") {
      youSaid(frame.text);
      return;
    }
    if (frame.type === "notice") {
      say("bot notice", paragraph(frame.text));
      menuUsed = false;
      setOnline(online);
      return;
    }
    // A reply the server keeps until this page confirms it: shown once, even when it is
    // sent again after a reconnect because the confirmation was lost.
    if (frame.receipt !== undefined) {
      if (online) socket.send(JSON.stringify({ type: "received", receipt: frame.receipt }));
      if (shown.has(frame.receipt)) return;
      shown.add(frame.receipt);
    }
    if (frame.erased) {
      erased(frame);
      return;
    }
    if (frame.menu) applyLanguage(frame);
    const last = history[history.length - 1];
    const again = frame.resume && last && last.who === "bot" && JSON.stringify(last.blocks) === JSON.stringify(frame.blocks);
    if (!again) {
      const entry = showBot(frame);
      if (!frame.menu && frame.buttons.length > 0) inlineButtons(entry, frame.buttons);
      remember({ who: "bot", blocks: frame.blocks, at: Date.now() });
    }
    if (!frame.menu) return;
    setLimit(frame.textLimit || null);
    showMenu(frame.buttons, frame.expectsText);
  }

  // A browser that refused the session cookie (a chat framed on another site, where third-party
  // cookies are blocked) can never open the socket: say so, and offer a window of its own.
  async function cookieRefused() {
    try {
      const answer = await fetch("/session", { credentials: "same-origin", cache: "no-store" });
      return answer.ok && (await answer.json()).cookie === false;
    } catch (error) {
      return false; // the server is not reachable: the usual reconnecting
    }
  }

  function explainRefusedCookie() {
    const framed = window.self !== window.top;
    status.replaceChildren(framed ? ui.nocookieframed : ui.nocookie);
    if (framed) {
      const link = document.createElement("a");
      link.href = location.href;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = ui.newwindow;
      status.append(" ", link);
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const link = opening ? "?start=" + opening : "";
    const current = new WebSocket(scheme + "//" + location.host + "/ws" + link);
    let opened = false;
    socket = current;
    current.addEventListener("open", () => {
      opened = everOpened = true;
      opening = null;
      if (retry > 0) status.textContent = ui.online;
      retry = 0;
      setOnline(true);
      for (const message of pending) current.send(JSON.stringify(message));
    });
    current.addEventListener("message", receive);
    current.addEventListener("close", async () => {
      if (socket !== current) return;
      if (online || retry === 0) status.textContent = ui.offline;
      setOnline(false);
      if (!opened && !everOpened && (await cookieRefused())) {
        explainRefusedCookie();
        return;
      }
      retry = Math.min(retry + 1, RETRY_DELAYS.length);
      setTimeout(connect, RETRY_DELAYS[retry - 1]);
    });
  }

  function restore() {
    for (const entry of history) {
      if (entry.who === "you") say("you", paragraph(String(entry.text)), entry.at);
      else if (Array.isArray(entry.blocks)) say("bot", blocks(entry.blocks), entry.at);
    }
  }

  // Where the bot asks for a text with a limit (a title, a description), the page counts along.
  // The count is shown at every key but announced only after a pause in typing, and only
  // while the text is too long; a too-long text is not sent but kept in the field to shorten.
  function characters() {
    return Array.from(input.value.trim()).length;
  }

  function number(value) {
    return value.toLocaleString(document.documentElement.lang);
  }

  function countText() {
    const n = characters();
    const template = n > limit ? ui.toolong : ui.count;
    return template
      .replace("{count}", number(n))
      .replace("{limit}", number(limit))
      .replace("{over}", number(n - limit));
  }

  function setLimit(value) {
    limit = value;
    count.hidden = limit === null;
    input.removeAttribute("aria-invalid");
    if (limit !== null) showCount(false);
  }

  function showCount(speak) {
    const over = characters() > limit;
    count.classList.toggle("over", over);
    if (!over) input.removeAttribute("aria-invalid");
    clearTimeout(announce);
    count.textContent = countText();
    // a live region that changed at every key would talk over the typing: it speaks after a pause
    if (speak) spoken.textContent = count.textContent;
    else if (over) announce = setTimeout(() => showCount(true), 1500);
  }

  input.addEventListener("input", () => {
    if (limit !== null) showCount(false);
  });

  function transcript() {
    const when = (at) =>
      new Date(at).toLocaleString(document.documentElement.lang, { dateStyle: "short", timeStyle: "short" });
    const lines = [ui.title, ui.transcript.replace("{date}", when(Date.now())), ""];
    for (const entry of history) {
      let text = String(entry.text || "");
      if (entry.who !== "you" && Array.isArray(entry.blocks)) {
        text = entry.blocks
          .map((block) => (block.item ? "• " : "") + block.spans.map((s) => s.text + (s.url && s.url !== s.text ? " (" + s.url + ")" : "")).join(""))
          .join("\n");
      }
      lines.push("[" + when(entry.at) + "] " + (entry.who === "you" ? ui.you : ui.bot), text, "");
    }
    return lines.join("\n");
  }

  save.addEventListener("click", () => {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([transcript()], { type: "text/plain;charset=utf-8" }));
    link.download = "mitmach-bot-gespraech.txt";
    document.body.appendChild(link);
    link.click();
    link.remove();
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    if (limit !== null && characters() > limit) {
      input.setAttribute("aria-invalid", "true");
      showCount(true);
      input.focus();
      return;
    }
    youSaid(text);
    input.value = "";
    if (limit !== null) showCount(false);
    transmit({ type: "text", text: text });
  });

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  menu.tabIndex = -1;
  restore();
  reveal();
  setOnline(false);
  connect();
})();
