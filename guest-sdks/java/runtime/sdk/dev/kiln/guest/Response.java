package dev.kiln.guest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An HTTP answer: status, headers and body. A handler returns one to choose them on the HTTP
 * trigger; an invoke gets the body alone (wasm-abi/ABI.md 9.5).
 *
 * <pre>{@code
 * return Response.status(201).header("content-type", "application/json").body("{\"ok\":true}");
 * }</pre>
 */
public final class Response {
    private final int status;
    private final List<String[]> headers = new ArrayList<>();
    private byte[] body = new byte[0];

    private Response(int status) {
        if (status < 200 || status > 599) {
            throw new IllegalArgumentException("status must be 200-599, not " + status);
        }
        this.status = status;
    }

    /** A response with {@code status} (200–599) and no body yet. */
    public static Response status(int status) {
        return new Response(status);
    }

    /** 200 with a UTF-8 text body. */
    public static Response ok(String text) {
        return status(200).header("content-type", "text/plain; charset=utf-8").body(text);
    }

    /** 200 with a JSON body, already serialised (e.g. a minimal-json value's toString()). */
    public static Response json(String json) {
        return status(200).header("content-type", "application/json").body(json);
    }

    /** Adds a header (a second call with the same name adds a second value). */
    public Response header(String name, String value) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= ' ' || c >= 127 || c == ':') {
                throw new IllegalArgumentException("not a header name: " + name);
            }
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < ' ' && c != '\t') || c == 127) {
                throw new IllegalArgumentException("control character in header " + name);
            }
        }
        headers.add(new String[] {name, value});
        return this;
    }

    public Response body(String text) {
        this.body = text.getBytes(StandardCharsets.UTF_8);
        return this;
    }

    public Response body(byte[] bytes) {
        this.body = bytes;
        return this;
    }

    public int getStatus() {
        return status;
    }

    public byte[] getBody() {
        return body;
    }

    /** The CGI response: a header block (always, so a body is never mistaken for headers). */
    byte[] cgiHead() {
        StringBuilder head = new StringBuilder();
        head.append("Status: ").append(status).append("\n");
        for (String[] h : headers) {
            head.append(h[0]).append(": ").append(h[1]).append("\n");
        }
        head.append("\n");
        return head.toString().getBytes(StandardCharsets.UTF_8);
    }
}
