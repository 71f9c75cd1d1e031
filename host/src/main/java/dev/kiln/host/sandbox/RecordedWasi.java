package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.HostFunction;
import dev.kiln.abi.HostInputs;

/**
 * Routes the WASI calls that hand a guest a value from the world ({@code clock_time_get}, {@code
 * random_get}) through the invocation's {@link HostInputs}, so a recorder writes their answers down
 * and a replay writes the recorded bytes into memory instead of asking the world (docs/adr/0041).
 * Every other WASI input is fixed by the recording already: arguments, environment and stdin.
 */
final class RecordedWasi {
    private static final long U32 = 0xFFFF_FFFFL;

    private RecordedWasi() {}

    /** {@code functions}, with the two value calls tapped; unchanged for live inputs. */
    static HostFunction[] apply(HostFunction[] functions, HostInputs inputs) {
        if (inputs instanceof HostInputs.Live) {
            return functions;
        }
        HostFunction[] out = functions.clone();
        for (int i = 0; i < out.length; i++) {
            HostFunction f = out[i];
            switch (f.name()) {
                // clock_time_get(id, precision, *time) writes a u64 at its third argument.
                case "clock_time_get" -> out[i] = tap(f, inputs, 2, -1);
                // random_get(*buf, len) fills len bytes.
                case "random_get" -> out[i] = tap(f, inputs, 0, 1);
                default -> {}
            }
        }
        return out;
    }

    /**
     * @param ptrArg the argument that points at what the call writes
     * @param lenArg the argument holding its length, or -1 for 8 bytes
     */
    private static HostFunction tap(HostFunction f, HostInputs inputs, int ptrArg, int lenArg) {
        return new HostFunction(
                f.module(),
                f.name(),
                f.functionType(),
                (inst, args) -> {
                    long ptr = args[ptrArg] & U32;
                    long len = lenArg < 0 ? 8 : args[lenArg] & U32;
                    if (!WasiGuards.inMemory(inst, ptr, len)) {
                        // Refused without handing out a value: the same on every run.
                        return f.handle().apply(inst, args);
                    }
                    HostInputs.WasiAnswer answer =
                            inputs.wasi(
                                    f.name(),
                                    args,
                                    () -> {
                                        long[] r = f.handle().apply(inst, args);
                                        int errno = (int) r[0];
                                        byte[] written =
                                                errno == 0
                                                        ? inst.memory()
                                                                .readBytes((int) ptr, (int) len)
                                                        : new byte[0];
                                        return new HostInputs.WasiAnswer(errno, written, true);
                                    });
                    if (!answer.fromLiveCall()) {
                        byte[] w = answer.written();
                        inst.memory().write((int) ptr, w, 0, (int) Math.min(len, w.length));
                    }
                    return new long[] {answer.errno()};
                });
    }
}
