// config: greets the name in the event with the function's GREETING setting
// (PATCH .../functions/{f} with {"env": {"GREETING": "Hi"}}), "Hello" when unset.
import { Event, Response, config, event } from "kiln-sdk/assembly";
export * from "kiln-sdk/assembly/exports";

event((e: Event): Response => {
  let name = e.text().trim();
  if (name.length == 0) name = "world";
  return Response.text(config.getOr("GREETING", "Hello") + ", " + name + "!");
});
