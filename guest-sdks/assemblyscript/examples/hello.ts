// hello: an HTTP function. GET /fn/{service}/{function}/greet?name=Kiln answers
// "Hello, Kiln! (GET /greet)" (the name can also come in an x-name header); other methods get
// 405 with an allow header.
import { Request, Response, http, log } from "kiln-sdk/assembly";
export * from "kiln-sdk/assembly/exports";

http((req: Request): Response => {
  if (req.method != "GET" && req.method != "HEAD") {
    return Response.text("only GET and HEAD\n", 405).setHeader("allow", "GET, HEAD");
  }
  let param = req.queryParam("name");
  if (param === null) param = req.header("x-name");
  let name = param !== null ? param : "world";
  log.info("hello " + name + " from " + req.path);
  return Response.text("Hello, " + name + "! (" + req.method + " " + req.path + ")\n")
    .withStatus(200)
    .setHeader("x-sdk", "assemblyscript");
});
