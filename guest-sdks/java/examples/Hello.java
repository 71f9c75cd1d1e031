import dev.kiln.guest.Context;
import dev.kiln.guest.Response;

/**
 * hello: the seed's function. `kiln invoke` answers "Hello world!"; over HTTP,
 * GET /fn/demo/hello/greet?name=Kiln answers "Hello, Kiln! (GET /greet)" like the other SDKs'
 * hello, with a status and headers.
 */
public class Hello {
    public Response handle(byte[] event, Context context) {
        System.out.println(
                "hello from " + context.getFunctionName() + " (" + context.getRequestId() + ")");
        if (!context.isHttp()) {
            return Response.status(200).body("Hello world!");
        }
        String name = context.getQueryParameter("name");
        if (name == null) {
            name = context.getHeader("x-name");
        }
        if (name == null) {
            name = "world";
        }
        String path = context.getMethod() + " " + context.getPath();
        return Response.ok("Hello, " + name + "! (" + path + ")\n").header("x-sdk", "java");
    }
}
