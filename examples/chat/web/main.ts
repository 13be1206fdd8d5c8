// The chat page: the official client with the proxies generated from the chat hub's contract
// (./generated, by signalr-codegen-ts), so tsc checks every hub call and handler.
//
// Bundled into ../static/app.js with esbuild: `cd tests/ts && npm ci && npm run build:chat`.
// Regenerate ./generated after changing the hub: see README.md beside this file.

import { HubConnectionBuilder } from "@microsoft/signalr";

import { ChatProxy, registerChatClient } from "./generated/index.js";

/** The element with `id`, which the page must have. */
function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return found;
}

const status = element("status", HTMLParagraphElement);
const messages = element("messages", HTMLUListElement);
const form = element("send", HTMLFormElement);
const user = element("user", HTMLInputElement);
const text = element("text", HTMLInputElement);

function show(line: string): void {
  const item = document.createElement("li");
  item.textContent = line;
  messages.appendChild(item);
}

const connection = new HubConnectionBuilder().withUrl("/chat").withAutomaticReconnect().build();
const chat = new ChatProxy(connection);

registerChatClient(connection, {
  receiveMessage: (from, message) => show(`${from}: ${message}`),
  userJoined: (name) => show(`${name} joined`),
});

connection.onreconnecting(() => (status.textContent = "reconnecting…"));
connection.onreconnected(() => (status.textContent = "connected"));
connection.onclose((error) => {
  status.textContent = error ? `closed: ${error.message}` : "closed";
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  chat
    .sendMessage(user.value, text.value)
    .then(() => (text.value = ""))
    .catch((error: unknown) => (status.textContent = `not sent: ${String(error)}`));
});

connection
  .start()
  .then(() => (status.textContent = "connected"))
  .catch((error: unknown) => (status.textContent = `failed: ${String(error)}`));
