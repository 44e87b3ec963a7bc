// Mitmach-Bot web chat. Everything residents or the bot write is inserted as text,
// never as HTML. Buttons are real <button>s; new messages are announced by the log region.
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
  let ui = Object.assign({}, chat.dataset);
  let socket = null;
  let retry = 0;

  function say(who, node) {
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
    log.appendChild(entry);
    entry.scrollIntoView({ block: "end" });
    return entry;
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
    send.textContent = ui.send;
    menu.setAttribute("aria-label", ui.options);
  }

  function showMenu(rows, expectsText) {
    menu.replaceChildren();
    for (const row of rows) {
      const line = document.createElement("div");
      line.className = "menu-row";
      for (const button of row) {
        const element = document.createElement("button");
        element.type = "button";
        element.textContent = button.label;
        element.dir = "auto";
        element.addEventListener("click", () => press(button));
        line.appendChild(element);
      }
      menu.appendChild(line);
    }
    const first = menu.querySelector("button");
    if (expectsText || !first) input.focus();
    else first.focus();
  }

  function press(button) {
    const text = document.createElement("p");
    text.textContent = button.label;
    say("you", text);
    menu.querySelectorAll("button").forEach((b) => (b.disabled = true));
    transmit({ type: "button", payload: button.payload });
  }

  function transmit(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  const shown = new Set();

  function receive(event) {
    const frame = JSON.parse(event.data);
    if (frame.type === "notice") {
      const p = document.createElement("p");
      p.textContent = frame.text;
      say("bot notice", p);
      menu.querySelectorAll("button").forEach((b) => (b.disabled = false));
      return;
    }
    // A reply the server keeps until this page confirms it: shown once, even when it is
    // sent again after a reconnect because the confirmation was lost.
    if (frame.receipt !== undefined) {
      transmit({ type: "received", receipt: frame.receipt });
      if (shown.has(frame.receipt)) return;
      shown.add(frame.receipt);
    }
    if (!frame.notification || frame.buttons.length > 0) applyLanguage(frame);
    const entry = say("bot", blocks(frame.blocks));
    if (frame.attachment) entry.appendChild(attachment(frame.attachment));
    // A notification about something else (a decision on an idea) leaves the menu alone,
    // unless it brings buttons of its own (a moderator's Approve / Reject / Hide).
    if (frame.notification && frame.buttons.length === 0) return;
    showMenu(frame.buttons, frame.expectsText);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(scheme + "//" + location.host + "/ws");
    socket.addEventListener("open", () => {
      if (retry > 0) status.textContent = ui.online;
      retry = 0;
    });
    socket.addEventListener("message", receive);
    socket.addEventListener("close", () => {
      status.textContent = ui.offline;
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 1000 * retry);
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    const p = document.createElement("p");
    p.textContent = text;
    say("you", p);
    input.value = "";
    transmit({ type: "text", text: text });
  });

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  connect();
})();
