// Written by signalr-codegen-ts's tests/it/wire.rs: values of the fixture's types as the server writes them in json.
// tsc --strict must accept each as its generated type.

import type * as t from "../fixture/index.js";

export const sample0: t.User = {"displayName":"Ada","age":null,"tags":[],"e-mail":"ada@example.com","address":{"street":"Main 1","position":null},"createdAt":"2023-11-14T22:13:20Z"};
export const sample1: t.User = {"displayName":"Ada","age":36,"nickname":"ada","tags":["x"],"e-mail":"ada@example.com","address":{"street":"Main 1","position":{"x":1.5,"y":-2.0}},"createdAt":"2023-11-14T22:13:20Z"};
export const sample2: t.Nothing = null;
export const sample3: t.Meters = 3.5;
export const sample4: t.Pair = ["a",-1];
export const sample5: t.PageOfPoint = {"items":[{"x":0.0,"y":1.0}],"total":1};
export const sample6: t.Color = "red";
export const sample7: t.Color = "dark-green";
export const sample8: t.Color = "BLUE";
export const sample9: t.Shape = {"Circle":{"radius":1.0}};
export const sample10: t.Shape = {"Square":2.0};
export const sample11: t.Shape = {"Rect":[1.0,2.0]};
export const sample12: t.Shape = "Empty";
export const sample13: t.Event = {"type":"joined","user":{"displayName":"Ada","age":1,"tags":[],"e-mail":"ada@example.com","address":{"street":"Main 1","position":{"x":1.5,"y":-2.0}},"createdAt":"2023-11-14T22:13:20Z"}};
export const sample14: t.Event = {"type":"left","id":4};
export const sample15: t.Event = {"type":"idle"};
export const sample16: t.Event = {"type":"moved","x":1.0,"y":2.0};
export const sample17: t.Envelope = {"sequence":9,"type":"left","id":1};
export const sample18: t.Envelope = {"sequence":10,"type":"moved","x":0.0,"y":0.0};
export const sample19: t.Command = {"t":"Say","c":"hi"};
export const sample20: t.Command = {"t":"Move","c":{"dx":1,"dy":-1}};
export const sample21: t.Command = {"t":"Quit"};
export const sample22: t.Json = {"list":[1.0,"two"]};
export const sample23: t.Bytes = "AQID";
export const sample24: t.Extras = {"next":{"next":null,"raw":[0,255],"letter":"λ","unit":null,"byId":{"7":"seven"},"big":1099511627776,"huge":-5,"default":true,"note":"kept"},"raw":[0,255],"letter":"λ","unit":null,"byId":{"7":"seven"},"big":1099511627776,"huge":-5,"default":true,"note":"kept"};
export const sample25: t.Renamed = {"kind":"UNIT_ONE"};
export const sample26: t.Renamed = {"kind":"STRUCT_TWO","someField":2};
export const sample27: t.Loose = null;
export const sample28: t.Loose = [1,"one"];
export const sample29: t.Loose = {"a":1};
export const sample30: t.Message = {"text":"hi","sentBy":"server"};
export const sample31: t.Message = {"text":"hi","tags":["a"],"sentBy":"server"};
export const sample32: t.Thread = {"title":"t","messages":[{"text":"hi","sentBy":"server"}]};

// What clients send: tsc must accept exactly what serde reads.
export const sent0: t.MessageInput = {"text": "hi", "tags": [], "token": "t"};
export const sent1: t.ThreadInput = {"title": "t", "messages": [{"text": "hi", "tags": ["a"], "token": "t"}]};
export const sent2: t.AddressInput = {"street": "Main 1"};
// @ts-expect-error serde refuses it
export const sent3: t.MessageInput = {"text": "hi", "token": "t"};
