import dev.kiln.guest.Context;
import dev.kiln.guest.StreamRequestHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

// Test fixture: Function Compute's stream handler shape; the answer is the event's bytes
// reversed, then what the context says about the request.
public class Shapes implements StreamRequestHandler {
    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context)
            throws IOException {
        byte[] event = input.readAllBytes();
        System.err.println("got " + event.length + " bytes");
        if (new String(event, StandardCharsets.UTF_8).equals("env")) {
            String greeting = String.valueOf(context.getEnv("GREETING"));
            output.write(greeting.getBytes(StandardCharsets.UTF_8));
            return;
        }
        for (int i = event.length - 1; i >= 0; i--) {
            output.write(event[i]);
        }
        String about = "|" + context.getMethod() + " " + context.getPath() + " "
                + context.getQueryParameter("q") + " " + context.getHeader("X-Test") + " "
                + context.getTrigger() + " " + (context.getRemainingTimeInMillis() > 0);
        output.write(about.getBytes(StandardCharsets.UTF_8));
    }
}
