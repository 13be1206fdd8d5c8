// Mistakes that the generated types must catch. Each line after an `// error TSnnnn` comment
// must fail with that code, and no other line may fail.

import * as signalR from "@microsoft/signalr";

import { ChatProxy, registerChatClient } from "../../../examples/chat/web/generated/index.js";
import { TestProxy, registerTestClient } from "../generated/interop-msgpack/index.js";

const connection = new signalR.HubConnectionBuilder().withUrl("/chat").build();
const chat = new ChatProxy(connection);

// Correct calls type-check.
export const welcome: Promise<string> = chat.join("ann");
void chat.send.sendMessage("ann", "hello");

// A wrong argument type.
// error TS2345
void chat.sendMessage("ann", 42);

// An unknown method.
// error TS2551
void chat.sendMesage("ann", "hi");

// A missing argument.
// error TS2554
void chat.echo();

// A result used as the wrong type.
// error TS2322
export const length: Promise<number> = chat.echo("text");

// `send` has no streaming methods and returns nothing useful.
const test = new TestProxy(connection);
// error TS2339
void test.send.stream();

// An upload parameter takes a Subject of the right item type.
// error TS2345
void test.streamingConcat(new signalR.Subject<number>());

// A handler with the wrong parameter type.
registerChatClient(connection, {
  // error TS2322
  receiveMessage: (user: number) => console.log(user),
  userJoined: () => {},
});

// A client result of the wrong type.
registerTestClient(connection, {
  message: () => {},
  customObject: () => {},
  streamCanceled: () => {},
  // error TS2322
  result: () => "forty-two",
});

// A forgotten handler.
// error TS2741
registerChatClient(connection, { receiveMessage: () => {} });

// In MessagePack, bytes are a Uint8Array, not base64 text.
// error TS2322
export const bytes: string = (await test.sendComplexObject()).ByteArray;
