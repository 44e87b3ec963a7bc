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
  const HISTORY = "mitmach.history";
  const PENDING = "mitmach.pending";
  const KEEP = 50;
  const RETRY_DELAYS = [250, 1000, 2000, 3000, 5000];
  let ui = Object.assign({}, chat.dataset);
  let socket = null;
  let retry = 0;
  let online = false;
  let menuUsed = false;
  const shown = new Set();
  let pending = load(sessionStorage, PENDING);
  let history = load(localStorage, HISTORY);

  // What this tab sent and the server has not handled yet is the tab's own (sessionStorage);
  // the conversation is the browser's (localStorage), the same in every tab.
  function load(where, key) {
    try {
      const value = JSON.parse(where.getItem(key) || "[]");
      return Array.isArray(value) ? value : [];
    } catch (error) {
      return [];
    }
  }

  function store(where, key, value) {
    try {
      where.setItem(key, JSON.stringify(value));
    } catch (error) {
      // a browser that keeps nothing (private mode, full storage): the chat works all the same
    }
  }

  function remember(entry) {
    history.push(entry);
    history = history.slice(-KEEP);
    store(localStorage, HISTORY, history);
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
    entry.scrollIntoView({ block: "end" });
    return entry;
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
    input.scrollIntoView({ block: "nearest" });
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
    store(sessionStorage, PENDING, pending);
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
    store(localStorage, HISTORY, history);
    store(sessionStorage, PENDING, pending);
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
      store(sessionStorage, PENDING, pending);
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
    showMenu(frame.buttons, frame.expectsText);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const current = new WebSocket(scheme + "//" + location.host + "/ws");
    socket = current;
    current.addEventListener("open", () => {
      if (retry > 0) status.textContent = ui.online;
      retry = 0;
      setOnline(true);
      for (const message of pending) current.send(JSON.stringify(message));
    });
    current.addEventListener("message", receive);
    current.addEventListener("close", () => {
      if (socket !== current) return;
      if (online || retry === 0) status.textContent = ui.offline;
      setOnline(false);
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

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    youSaid(text);
    input.value = "";
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
  setOnline(false);
  connect();
})();
