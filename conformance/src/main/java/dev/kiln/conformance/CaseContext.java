package dev.kiln.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The state of one run of one case: its service name, variables ({@code {service}}, {@code
 * {function}} and captured values), and the target's limits; resolves body forms and substitutions.
 */
final class CaseContext {
    private static final Pattern VARIABLE =
            Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*|\\$[A-Za-z][A-Za-z0-9.]*(?:[+-]\\d+)?)\\}");

    private final ConformanceCase c;
    private final TargetInfo target;
    private final Map<String, String> vars = new ConcurrentHashMap<>();

    CaseContext(ConformanceCase c, TargetInfo target, String service, String function) {
        this.c = c;
        this.target = target;
        vars.put("service", service);
        vars.put("function", function);
    }

    String service() {
        return vars.get("service");
    }

    String function() {
        return vars.get("function");
    }

    void set(String name, String value) {
        vars.put(name, value);
    }

    /**
     * Replaces {@code {name}} for every known variable and {@code {$limit±N}} with the number;
     * other braces are left alone.
     */
    String substitute(String s) {
        if (s == null || s.indexOf('{') < 0) {
            return s;
        }
        Matcher m = VARIABLE.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v =
                    m.group(1).startsWith("$")
                            ? String.valueOf(
                                    quantity(CaseLoader.JSON.getNodeFactory().textNode(m.group(1))))
                            : vars.get(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(v != null ? v : m.group()));
        }
        m.appendTail(out);
        return out.toString();
    }

    long quantity(JsonNode value) {
        return target.quantity(value);
    }

    /** The case's module, built now (generated modules may depend on the target's limits). */
    byte[] caseModule() {
        if (c.module() == null) {
            throw new IllegalArgumentException("the case has no module file");
        }
        return ModuleFiles.load(c.module(), target::quantity);
    }

    /** {@code true} for the case's module, or a module file name. */
    byte[] module(JsonNode ref) {
        if (ref.isBoolean()) {
            return caseModule();
        }
        Path file = ModuleFiles.resolve(ref.asText(), c.dir(), c.root());
        return ModuleFiles.load(file, target::quantity);
    }

    /** Whether {@code spec} holds a zip body form. */
    static boolean isZip(JsonNode spec) {
        return spec != null && spec.has("zip");
    }

    /**
     * The bytes of a body form in {@code spec}: {@code body} (UTF-8 text, with variables), {@code
     * bodyBase64}, {@code bodyHex}, {@code bodyRepeat: {"text", "times"}}, {@code bodyJson}, {@code
     * module}, {@code zip}. Empty when none is present.
     */
    byte[] body(JsonNode spec) {
        if (spec == null) {
            return new byte[0];
        }
        if (spec.has("bodyBase64")) {
            return Base64.getDecoder().decode(spec.get("bodyBase64").asText());
        }
        if (spec.has("bodyHex")) {
            return HexFormat.of().parseHex(spec.get("bodyHex").asText().replaceAll("\\s+", ""));
        }
        if (spec.has("bodyRepeat")) {
            JsonNode r = spec.get("bodyRepeat");
            byte[] unit = r.path("text").asText().getBytes(StandardCharsets.UTF_8);
            long times = quantity(r.path("times"));
            long total = unit.length * times;
            if (unit.length == 0 || total > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("bodyRepeat of " + total + " bytes");
            }
            byte[] out = new byte[(int) total];
            for (int i = 0; i < out.length; i += unit.length) {
                System.arraycopy(unit, 0, out, i, unit.length);
            }
            return out;
        }
        if (spec.has("bodyJson")) {
            return substitute(spec.get("bodyJson").toString()).getBytes(StandardCharsets.UTF_8);
        }
        if (spec.has("module")) {
            return module(spec.get("module"));
        }
        if (spec.has("zip")) {
            return new ZipBuilder(target::quantity, this::module).build(spec.get("zip"));
        }
        return substitute(spec.path("body").asText("")).getBytes(StandardCharsets.UTF_8);
    }
}
