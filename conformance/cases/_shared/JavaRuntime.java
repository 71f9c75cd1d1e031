// The Java conformance function (guest-sdks/java, TeaVM WASI command run through wasi-cgi,
// docs/adr/0051), shared by the cases under java/ so the suite carries one ~240 KB module.
// Rebuild after changing it:
//   guest-sdks/java/runtime/build.sh conformance/cases/_shared/java-runtime.wasm conformance/cases/_shared/JavaRuntime.java
import dev.kiln.guest.Context;
import dev.kiln.guest.Response;

public class JavaRuntime {
    static int calls;
    static volatile long sink;

    public Response handle(String event, Context context) {
        calls++;
        String what = context.isHttp() ? context.getPath().substring(1) : event;
        switch (what) {
            case "hello":
                System.out.println("hello from Java");
                return Response.status(200).body("Hello world!");
            case "throw":
                throw new IllegalStateException("declined by the function");
            case "loop":
                for (long n = 0; ; n++) {
                    sink = n;
                }
            case "calls":
                return Response.status(200).body(String.valueOf(calls));
            case "status":
                return Response.status(202)
                        .header("content-type", "text/plain")
                        .header("x-multi", "a")
                        .header("x-multi", "b")
                        .body(context.getMethod() + " " + context.getQueryParameter("q") + " "
                                + context.getHeader("x-test"));
            default:
                return Response.status(200).body("unknown: " + what);
        }
    }
}
