package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.wasi.WasiPreview1;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A pooled command instance's WASI, made once and used by invocation after invocation (docs/adr/
 * 0066): Chicory's {@code WasiPreview1} and the host functions the module imports from it, with
 * stdio switched to each invocation's streams and the arguments and environment served from each
 * invocation's values. Building a {@code WasiPreview1} and its 46 host functions per request was
 * most of a pooled command's set-up.
 *
 * <p>Chicory's descriptor table is the one piece of WASI state that outlives a call. Without
 * granted directories it holds stdin, stdout and stderr only, and only {@code fd_close} and {@code
 * fd_renumber} change it; a run that calls either {@linkplain #spent() spends} this WASI, and the
 * next invocation gets a new one. Functions with granted directories never use it.
 */
final class ReusableWasi {
    /** The calls that change Chicory's descriptor table when no directory is preopened. */
    private static final Set<String> CHANGE_DESCRIPTORS = Set.of("fd_close", "fd_renumber");

    private static final int ESUCCESS = 0;

    private final SwitchedInput stdin = new SwitchedInput();
    private final SwitchedOutput stdout = new SwitchedOutput();
    private final SwitchedOutput stderr = new SwitchedOutput();
    private final WasiPreview1 wasi;
    private final HostFunction[] functions;
    private volatile boolean spent;

    /** This invocation's arguments and environment, encoded at the guest's first ask. */
    private List<String> arguments = List.of();

    private LazyEnvironment environment;
    private byte[][] argumentBytes;
    private byte[][] environmentBytes;

    ReusableWasi(CompiledModule module) {
        this.wasi = WasiCgiRun.wasi(WasiCgiRun.options(stdin, stdout, stderr));
        HostFunction[] imported = WasiCgiRun.imported(module, wasi);
        for (int i = 0; i < imported.length; i++) {
            imported[i] = served(imported[i]);
        }
        this.functions = imported;
    }

    /** Binds this invocation's streams, arguments and environment. */
    void begin(
            InputStream in,
            OutputStream out,
            OutputStream err,
            List<String> arguments,
            LazyEnvironment environment) {
        stdin.current = in;
        stdout.current = out;
        stderr.current = err;
        this.arguments = arguments;
        this.environment = environment;
        this.argumentBytes = null;
        this.environmentBytes = null;
    }

    /** Drops the invocation's streams and values, so nothing of it stays reachable. */
    void end() {
        stdin.current = InputStream.nullInputStream();
        stdout.current = OutputStream.nullOutputStream();
        stderr.current = OutputStream.nullOutputStream();
        arguments = List.of();
        environment = null;
        argumentBytes = null;
        environmentBytes = null;
    }

    /** The WASI functions the module imports, unwrapped (the caller meters and guards them). */
    HostFunction[] functions() {
        return functions;
    }

    /** Whether a run changed the descriptor table: this WASI must not serve another. */
    boolean spent() {
        return spent;
    }

    void close() {
        wasi.close();
    }

    /** Chicory's function, or this class's for the calls it serves itself. */
    private HostFunction served(HostFunction f) {
        return switch (f.name()) {
            case "args_sizes_get" -> withHandle(f, pointers(true, this::argumentStrings));
            case "args_get" -> withHandle(f, pointers(false, this::argumentStrings));
            case "environ_sizes_get" -> withHandle(f, pointers(true, this::environmentStrings));
            case "environ_get" -> withHandle(f, pointers(false, this::environmentStrings));
            default -> {
                if (!CHANGE_DESCRIPTORS.contains(f.name())) {
                    yield f;
                }
                WasmFunctionHandle inner = f.handle();
                yield withHandle(
                        f,
                        (inst, args) -> {
                            spent = true;
                            return inner.apply(inst, args);
                        });
            }
        };
    }

    private static HostFunction withHandle(HostFunction f, WasmFunctionHandle handle) {
        return new HostFunction(f.module(), f.name(), f.functionType(), handle);
    }

    /**
     * A {@code *_sizes_get} ({@code sizes}) or {@code *_get} call over {@code strings}; both take
     * two pointers.
     */
    private static WasmFunctionHandle pointers(boolean sizes, Supplier<byte[][]> strings) {
        return (inst, args) ->
                sizes
                        ? sizes(inst.memory(), strings.get(), (int) args[0], (int) args[1])
                        : strings(inst.memory(), strings.get(), (int) args[0], (int) args[1]);
    }

    private byte[][] argumentStrings() {
        if (argumentBytes == null) {
            argumentBytes = new byte[arguments.size()][];
            for (int i = 0; i < argumentBytes.length; i++) {
                argumentBytes[i] = cString(arguments.get(i));
            }
        }
        return argumentBytes;
    }

    private byte[][] environmentStrings() {
        if (environmentBytes == null) {
            Map<String, String> variables = environment.variables();
            environmentBytes = new byte[variables.size()][];
            int i = 0;
            for (Map.Entry<String, String> e : variables.entrySet()) {
                environmentBytes[i++] = cString(e.getKey() + "=" + e.getValue());
            }
        }
        return environmentBytes;
    }

    private static byte[] cString(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[utf8.length + 1];
        System.arraycopy(utf8, 0, out, 0, utf8.length);
        return out;
    }

    /** {@code *_sizes_get}: the count, then the bytes of all strings with their NULs. */
    private static long[] sizes(Memory memory, byte[][] strings, int countPtr, int sizePtr) {
        int bytes = 0;
        for (byte[] s : strings) {
            bytes += s.length;
        }
        memory.writeI32(countPtr, strings.length);
        memory.writeI32(sizePtr, bytes);
        return new long[] {ESUCCESS};
    }

    /** {@code args_get}/{@code environ_get}: a pointer per string, the strings in the buffer. */
    private static long[] strings(Memory memory, byte[][] strings, int pointers, int buffer) {
        for (byte[] s : strings) {
            memory.writeI32(pointers, buffer);
            pointers += 4;
            memory.write(buffer, s);
            buffer += s.length;
        }
        return new long[] {ESUCCESS};
    }

    /** Reads from the current invocation's stdin. */
    private static final class SwitchedInput extends InputStream {
        volatile InputStream current = InputStream.nullInputStream();

        @Override
        public int read() throws IOException {
            return current.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return current.read(b, off, len);
        }

        @Override
        public int available() throws IOException {
            return current.available();
        }
    }

    /** Writes to the current invocation's stdout or stderr. */
    private static final class SwitchedOutput extends OutputStream {
        volatile OutputStream current = OutputStream.nullOutputStream();

        @Override
        public void write(int b) throws IOException {
            current.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            current.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            current.flush();
        }
    }
}
