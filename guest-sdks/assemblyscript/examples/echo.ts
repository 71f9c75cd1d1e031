// echo: returns the event (or HTTP body) unchanged.
import { Event, Response, event } from "kiln-sdk/assembly";
export * from "kiln-sdk/assembly/exports";

event((e: Event): Response => Response.bytes(e.bytes));
