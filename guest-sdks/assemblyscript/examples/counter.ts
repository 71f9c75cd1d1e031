// counter: a page-view counter in the service's key-value store (kv, ABI.md 4.12).
//   GET /{page}     adds one to the key "views:/{page}": {"page":"/{page}","views":N}
//   DELETE /{page}  removes the key: {"page":"/{page}","deleted":true}, false when there was none
//   GET /           {"pages":P,"views":V}: how many pages have counters and their sum (lists the
//                   keys with the prefix "views:" page by page)
// Other methods get 405. A failing store call is a guest error naming the SDK's error, e.g.
// "counter: key-value limit reached (-3)" for a path over the 256-byte key limit.
import { JsonObject, KvError, Request, Response, fail, http, kv } from "kiln-sdk/assembly";
export * from "kiln-sdk/assembly/exports";

function failed(): Response {
  return fail("counter: " + kv.errorMessage(kv.lastError));
}

/** A counter's value; 0 when it is not an integer. */
function parseCount(v: string): i64 {
  let neg = v.length > 1 && v.charCodeAt(0) == 0x2d;
  let n: i64 = 0;
  for (let i = neg ? 1 : 0; i < v.length; i++) {
    let c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39 || n > i64.MAX_VALUE / 10 - 1) return 0;
    n = n * 10 + (c - 0x30);
  }
  return neg ? -n : n;
}

http((req: Request): Response => {
  let get = req.method == "GET";
  if (!get && req.method != "DELETE") {
    return Response.text("only GET and DELETE\n", 405).setHeader("allow", "GET, DELETE");
  }
  if (get && req.path == "/") {
    let keys = kv.list("views:");
    if (kv.lastError != KvError.OK) return failed();
    let pages: i64 = 0;
    let views: i64 = 0;
    for (let i = 0; i < keys.length; i++) {
      let value = kv.getString(keys[i]);
      if (value === null) {
        if (kv.lastError == KvError.NotFound) continue; // expired or deleted since the listing
        return failed();
      }
      pages++;
      views += parseCount(value);
    }
    return Response.json(new JsonObject().int("pages", pages).int("views", views).toString());
  }

  let key = "views:" + req.path;
  let out = new JsonObject().str("page", req.path);
  if (get) {
    let views = kv.increment(key);
    if (kv.lastError != KvError.OK) return failed();
    out.int("views", views);
  } else {
    let r = kv.remove(key);
    if (r != KvError.OK && r != KvError.NotFound) return failed();
    out.bool("deleted", r == KvError.OK);
  }
  return Response.json(out.toString());
});
