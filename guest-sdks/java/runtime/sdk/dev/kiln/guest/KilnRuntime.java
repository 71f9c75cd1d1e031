package dev.kiln.guest;

import com.eclipsesource.json.JsonValue;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The function's {@code main}, which Kiln's Java build generates around the handler: reads the
 * event from stdin and the context from the environment, calls the handler, writes its answer as
 * a CGI response to stdout (wasm-abi/ABI.md 9). System.out and System.err both go to the
 * function's logs. A thrown exception logs its stack frames and its causes, then its {@code
 * toString()} as the last stderr line, and exits with code 1: Kiln answers {@code guest_error} with "the function
 * exited with code 1: " and that line.
 */
public final class KilnRuntime {
    // The class Kiln's Java build generates around the handler: frames from it down are Kiln's.
    private static final String ENTRY_CLASS = "KilnMain";
    private static final int MAX_FRAMES = 64;

    private KilnRuntime() {}

    /** One call of the handler (the generated main supplies it). */
    public interface Call {
        void call(Invocation invocation) throws Exception;
    }

    /** The event, the context and where the answer goes. */
    public static final class Invocation {
        private final byte[] event;
        private final Context context;
        private final ByteArrayOutputStream output = new ByteArrayOutputStream();
        private Response response;

        Invocation(byte[] event, Context context) {
            this.event = event;
            this.context = context;
        }

        public byte[] event() {
            return event;
        }

        public String eventText() {
            return new String(event, StandardCharsets.UTF_8);
        }

        public Context context() {
            return context;
        }

        public InputStream input() {
            return new ByteArrayInputStream(event);
        }

        public OutputStream output() {
            return output;
        }

        public void respond(byte[] body) {
            response = Response.status(200).body(body == null ? new byte[0] : body);
        }

        public void respond(String body) {
            response = body == null ? Response.status(200) : Response.ok(body);
        }

        public void respond(Response r) {
            response = r == null ? Response.status(200) : r;
        }

        /** A minimal-json value answers as JSON; anything else as its toString(). */
        public void respond(Object value) {
            if (value instanceof JsonValue) {
                response = Response.json(value.toString());
            } else if (value instanceof byte[]) {
                respond((byte[]) value);
            } else if (value instanceof Response) {
                respond((Response) value);
            } else {
                respond(value == null ? null : value.toString());
            }
        }

        Response response() {
            if (response != null) {
                return response;
            }
            return Response.status(200).body(output.toByteArray());
        }
    }

    /** Runs one invocation and ends the process: exit 0 with the answer, or 1 after a throw. */
    public static void run(Call call) {
        // Java programs print with System.out; for a CGI program stdout is the response, so
        // prints go to stderr (the logs) and only the runtime writes stdout.
        PrintStream logs = System.err;
        System.setOut(logs);
        Response response;
        try {
            Invocation invocation = new Invocation(Wasi.readAll(Wasi.STDIN), new Context(env()));
            call.call(invocation);
            response = invocation.response();
        } catch (Throwable e) {
            fail(logs, e);
            return;
        }
        logs.flush();
        byte[] head = response.cgiHead();
        byte[] body = response.getBody();
        Wasi.write(Wasi.STDOUT, head, 0, head.length);
        Wasi.write(Wasi.STDOUT, body, 0, body.length);
    }

    private static void fail(PrintStream logs, Throwable e) {
        // The frames of the exception and of each cause, then the exception itself last: the line
        // guest_error quotes. Frames are the function's own: the exception's constructors above
        // them and Kiln's entry point below them are left out.
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null && text.length() < 16384; t = t.getCause()) {
            if (t != e) {
                text.append("caused by: ").append(oneLine(t.toString())).append('\n');
            }
            StackTraceElement[] frames = t.getStackTrace();
            int from = 0;
            while (from < frames.length && isConstruction(frames[from], t)) {
                from++;
            }
            for (int i = from; i < frames.length && i - from < MAX_FRAMES; i++) {
                StackTraceElement frame = frames[i];
                if (frame.getClassName().equals(ENTRY_CLASS)
                        || frame.getClassName().startsWith(ENTRY_CLASS + "$")) {
                    break;
                }
                text.append("\tat ").append(frame).append('\n');
            }
        }
        text.append(oneLine(e.toString())).append('\n');
        logs.flush();
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        Wasi.write(Wasi.STDERR, bytes, 0, bytes.length);
        Wasi.procExit(1);
    }

    /** A frame of {@code t}'s own making: Throwable's fillInStackTrace or a constructor of its class. */
    private static boolean isConstruction(StackTraceElement frame, Throwable t) {
        String method = frame.getMethodName();
        if (!method.equals("<init>") && !method.equals("fillInStackTrace")) {
            return false;
        }
        for (Class<?> c = t.getClass(); c != null; c = c.getSuperclass()) {
            if (c.getName().equals(frame.getClassName())) {
                return true;
            }
        }
        return false;
    }

    private static String oneLine(String s) {
        return s.replace('\r', ' ').replace('\n', ' ');
    }

    private static Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        for (String var : Wasi.environment()) {
            int eq = var.indexOf('=');
            if (eq > 0) {
                env.put(var.substring(0, eq), var.substring(eq + 1));
            }
        }
        return env;
    }
}
