package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import dev.kiln.abi.AbiV1;
import dev.kiln.abi.EffectLimits;
import dev.kiln.abi.GuestEffects;
import dev.kiln.abi.HostCall;
import dev.kiln.abi.HostCalls;
import dev.kiln.abi.HostInputs;
import dev.kiln.abi.HostWork;
import dev.kiln.abi.InvocationContext;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.fuel.FuelInjector;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one invocation of a wasi-cgi module, on a pooled instance reset after each invocation or
 * (for a command with a start function) a new one: the payload on stdin, CGI variables in the
 * environment, stdout parsed as a CGI response, stderr into the function's logs. Fuel, deadline
 * (the caller's interrupt) and memory cap apply as for the kiln ABI.
 */
public final class WasiCgiRun {
    private static final SecureRandom RANDOM = new SecureRandom();

    private static final Logger log = LoggerFactory.getLogger(WasiCgiRun.class);

    private WasiCgiRun() {}

    /**
     * Runs {@code _start} on a new instance of {@code module}: for commands the host does not pool
     * (a start function; {@link CompiledModule#pooled()}) and for replays. Never throws for
     * anything the guest does.
     *
     * @param readOnlyDirs guest path to host directory the function was granted; usually empty
     * @param allowedRoots the directories grants must resolve inside ({@code --wasi-dir-root}),
     *     checked again now; a grant outside them ends the invocation with {@code
     *     directory_grant_refused} before the guest runs
     */
    public static SandboxResult run(
            CompiledModule module,
            InvocationContext context,
            byte[] payload,
            InvocationLimits limits,
            long fuelBudget,
            Map<String, Path> readOnlyDirs,
            List<Path> allowedRoots) {
        return run(module, null, context, payload, limits, fuelBudget, readOnlyDirs, allowedRoots);
    }

    /**
     * Runs {@code _start} on a pooled command instance, its imports bound to this invocation's WASI
     * state; marks the instance not reusable when the run leaves it in doubt. The pool resets it to
     * its snapshot before the next invocation. Never throws for anything the guest does.
     */
    public static SandboxResult run(
            GuestInstance pooled,
            InvocationContext context,
            byte[] payload,
            InvocationLimits limits,
            long fuelBudget,
            Map<String, Path> readOnlyDirs,
            List<Path> allowedRoots) {
        if (!pooled.isCommand()) {
            throw new IllegalArgumentException("not a wasi-cgi command's instance");
        }
        return run(
                pooled.module(),
                pooled,
                context,
                payload,
                limits,
                fuelBudget,
                readOnlyDirs,
                allowedRoots);
    }

    private static SandboxResult run(
            CompiledModule module,
            GuestInstance pooled,
            InvocationContext context,
            byte[] payload,
            InvocationLimits limits,
            long fuelBudget,
            Map<String, Path> readOnlyDirs,
            List<Path> allowedRoots) {
        GuestEffects effects = new GuestEffects(limits.effects());
        CappedOutput stdout = new CappedOutput(limits.maxOutputBytes());
        StderrLog stderr =
                new StderrLog(
                        effects,
                        limits.effects().maxLogBytes(),
                        limits.effects().maxFailMessageBytes());
        ReadOnlyDirs dirs;
        try {
            dirs = readOnlyDirs.isEmpty() ? null : new ReadOnlyDirs(readOnlyDirs, allowedRoots);
        } catch (ReadOnlyDirs.GrantRefused e) {
            log.warn("invocation of {} refused: {}", context.function(), e.getMessage());
            return new SandboxResult(
                    new InvocationOutcome.DirectoryGrantRefused(
                            "the directory granted as "
                                    + e.guestPath()
                                    + " is no longer inside a directory this host allows;"
                                    + " an administrator must fix or remove the grant"),
                    List.of(),
                    false,
                    0);
        }
        InputStream stdin = new ByteArrayInputStream(payload);
        List<String> arguments = List.of(context.function());
        LazyEnvironment environment = new LazyEnvironment(context, payload.length);
        // A pooled command without granted directories keeps its WASI from run to run.
        ReusableWasi reusable = pooled != null && dirs == null ? pooled.reusableWasi() : null;
        GuestFuel fuelTank = pooled != null ? pooled.fuel() : module.newFuel();
        WasiHostWork hostWork =
                new WasiHostWork(
                        new HostWork(fuelTank, limits.effects()),
                        fuelTank,
                        stdin,
                        stdout,
                        stderr,
                        argumentBytes(arguments),
                        environment::bytes);
        // The kiln key-value calls a wasi-cgi guest may import share its metering and effects.
        HostCalls kiln = new HostCalls(fuelTank);
        kiln.begin(context, effects, hostWork.work());
        Instance instance = null;
        long spent = 0;
        int exitCode = 0;
        boolean exited = false;
        InvocationOutcome failure = null;
        try (WasiPreview1 wasi =
                reusable != null
                        ? null
                        : newWasi(
                                stdin, stdout, stderr, arguments, environment.variables(), dirs)) {
            HostFunction[] wasiFunctions;
            if (reusable != null) {
                reusable.begin(stdin, stdout, stderr, arguments, environment);
                wasiFunctions = reusable.functions();
            } else {
                wasiFunctions = imported(module, wasi);
            }
            HostFunction[] functions =
                    wrapped(
                            module,
                            wasiFunctions,
                            dirs,
                            hostWork,
                            kiln,
                            fuelTank,
                            context.inputs());
            if (pooled != null) {
                pooled.linear().clearRefusedGrow();
                pooled.command().bind(functions);
                instance = pooled.chicory();
            } else {
                instance =
                        module.newInstance(ImportValues.builder().addFunction(functions).build());
            }
            GuestFuel fuel = fuelTank.boundTo(instance);
            // A new instance's start function (if any) ran on the init budget: charge it to this
            // invocation. A pooled command has none, and its fuel holds the last run's leftover.
            fuel.set(
                    pooled != null
                            ? fuelBudget
                            : fuelBudget - (FuelInjector.INIT_FUEL - fuel.get()));
            instance.export(ModuleValidator.WASI_START).apply();
        } catch (Throwable t) { // guest code may raise anything, including StackOverflowError
            GuestFailures.rethrowIfHostFatal(t);
            if (causedBy(t, WasiExitException.class) instanceof WasiExitException e) {
                exitCode = e.exitCode();
                exited = true;
            } else if (causedBy(t, CappedOutput.Exceeded.class) != null) {
                failure =
                        new InvocationOutcome.OutputLimit(
                                "the function wrote more than "
                                        + stdout.cap()
                                        + " bytes to stdout");
            } else if (causedBy(t, InterruptedException.class) != null) {
                Thread.interrupted();
                failure =
                        new InvocationOutcome.Timeout(
                                "the function did not finish before its deadline");
            } else {
                failure = GuestFailures.classify(t);
            }
        } finally {
            kiln.end();
            stderr.finish();
            if (pooled != null) {
                pooled.command().unbind();
            }
            if (reusable != null) {
                reusable.end();
            }
        }
        if (failure == null && Thread.interrupted()) {
            // The deadline struck inside a host call that swallowed it: Chicory's WASI turns an
            // interrupted file channel into EIO, and the guest may ignore that and return.
            failure =
                    new InvocationOutcome.Timeout(
                            "the function did not finish before its deadline");
        }
        if (instance != null) {
            long remaining = fuelTank.boundTo(instance).get();
            spent = Math.min(fuelBudget, fuelBudget - remaining);
            if (remaining < 0 && !(failure instanceof InvocationOutcome.Timeout)) {
                failure =
                        new InvocationOutcome.OutOfFuel(
                                "the function used up its fuel budget of " + fuelBudget);
            }
            int refusedGrow =
                    instance.memory() instanceof ResettableMemory linear
                            ? linear.refusedGrowPages()
                            : 0;
            failure =
                    GuestFailures.atMemoryCap(
                            failure, refusedGrow, instance.memory().pages(), module.maxPages());
        }
        InvocationOutcome outcome;
        if (failure != null) {
            outcome = failure;
        } else if (exitCode != 0) {
            outcome = new InvocationOutcome.GuestError(exitMessage(exitCode, stderr.lastLine()));
        } else {
            outcome = CgiResponseParser.parse(stdout.toByteArray(), limits.effects());
        }
        if (pooled != null
                && (failure != null || exitCode != 0 || (exited && !module.survivesExit()))) {
            pooled.discard();
        }
        return new SandboxResult(outcome, effects.logs(), effects.logTruncated(), spent);
    }

    /**
     * Instantiates the module once without running {@code _start}: the upload check. WASI calls
     * made by a start function see no arguments, environment or input, and their output is dropped.
     *
     * @throws RuntimeException whatever the guest's start function raised (classify with {@link
     *     GuestFailures})
     */
    public static void trial(CompiledModule module) {
        InputStream stdin = InputStream.nullInputStream();
        OutputStream discard = OutputStream.nullOutputStream();
        WasiOptions.Builder options = options(stdin, discard, null);
        GuestFuel fuelTank = module.newFuel();
        WasiHostWork hostWork =
                new WasiHostWork(
                        new HostWork(fuelTank, EffectLimits.DEFAULTS),
                        fuelTank,
                        stdin,
                        discard,
                        discard,
                        0,
                        () -> 0);
        try (WasiPreview1 wasi = wasi(options)) {
            HostFunction[] functions =
                    wrapped(
                            module,
                            imported(module, wasi),
                            null,
                            hostWork,
                            new HostCalls(fuelTank),
                            fuelTank,
                            HostInputs.LIVE);
            module.newInstance(ImportValues.builder().addFunction(functions).build());
        }
    }

    static WasiOptions.Builder options(
            InputStream stdin, OutputStream stdout, OutputStream stderr) {
        return WasiOptions.builder()
                .withStdin(stdin, false)
                .withStdout(stdout, false)
                .withStderr(stderr == null ? OutputStream.nullOutputStream() : stderr, false)
                .withRandom(RANDOM)
                .withClock(Clock.systemUTC())
                // proc_exit(0) then throws WasiExitException too, which skips filling in a stack
                // trace; Chicory's default for it (ExecutionCompletedException) walks the whole
                // guest stack. Go's runtime calls exit(0) after every main.
                .withThrowOnExit0(true);
    }

    static WasiPreview1 wasi(WasiOptions.Builder options) {
        return WasiPreview1.builder()
                .withLogger(WasiFunctions.SILENT)
                .withOptions(options.build())
                .build();
    }

    /** A new WASI for one invocation: its streams, arguments, environment and directories. */
    private static WasiPreview1 newWasi(
            InputStream stdin,
            OutputStream stdout,
            OutputStream stderr,
            List<String> arguments,
            Map<String, String> environment,
            ReadOnlyDirs dirs) {
        WasiOptions.Builder options = options(stdin, stdout, stderr).withArguments(arguments);
        environment.forEach(options::withEnvironment);
        if (dirs != null) {
            dirs.preopens().forEach(options::withDirectory);
        }
        return wasi(options);
    }

    /** The functions of {@code wasi} that the module imports. */
    static HostFunction[] imported(CompiledModule module, WasiPreview1 wasi) {
        // Only what the module imports is wrapped: a command usually imports a handful of the
        // 46 WASI calls.
        List<HostFunction> imported = new ArrayList<>();
        for (HostFunction f : wasi.toHostFunctions()) {
            if (module.importsFunction(f.module(), f.name())) {
                imported.add(f);
            }
        }
        return imported.toArray(HostFunction[]::new);
    }

    /** This invocation's WASI functions wrapped, and the kiln functions the module imports. */
    private static HostFunction[] wrapped(
            CompiledModule module,
            HostFunction[] wasiFunctions,
            ReadOnlyDirs dirs,
            WasiHostWork hostWork,
            HostCalls kiln,
            GuestFuel fuelTank,
            HostInputs inputs) {
        // Metering outermost: a call is charged, and its size bounded, before anything reads it.
        // Recording innermost: what is written down is exactly what the guest got.
        HostFunction[] wasiCalls =
                hostWork.apply(WasiGuards.apply(RecordedWasi.apply(wasiFunctions, inputs), dirs));
        HostFunction[] kilnCalls = keyValueFunctions(module, kiln, fuelTank);
        HostFunction[] out = Arrays.copyOf(wasiCalls, wasiCalls.length + kilnCalls.length);
        System.arraycopy(kilnCalls, 0, out, wasiCalls.length, kilnCalls.length);
        return out;
    }

    /**
     * The kiln kv_* and http_* calls the module imports, metered by {@link HostCalls} itself (fuel,
     * bytes, deadline).
     */
    private static HostFunction[] keyValueFunctions(
            CompiledModule module, HostCalls kiln, GuestFuel fuelTank) {
        List<HostFunction> out = new ArrayList<>();
        for (HostCall call : HostCall.values()) {
            if (!call.wasiCgiImport()
                    || !module.importsFunction(AbiV1.IMPORT_MODULE, call.importName())) {
                continue;
            }
            out.add(
                    CompiledModule.kilnFunction(
                            call,
                            fuelTank,
                            (inst, args) ->
                                    kiln.call(call, new ChicoryMemory(inst.memory()), args)));
        }
        return out.toArray(HostFunction[]::new);
    }

    /** What {@code args_get} writes: each argument with its NUL, and a pointer to it. */
    private static long argumentBytes(List<String> arguments) {
        long n = 0;
        for (String a : arguments) {
            n += LazyEnvironment.utf8Length(a) + 1 + 4;
        }
        return n;
    }

    /** "exit code 3", then the last line the guest wrote to stderr, if any. */
    private static String exitMessage(int code, byte[] lastStderrLine) {
        String text = new String(lastStderrLine, StandardCharsets.UTF_8).strip();
        return "the function exited with code " + code + (text.isEmpty() ? "" : ": " + text);
    }

    // A throwable that is its own cause ends the chain; identity is the point.
    @SuppressWarnings("ReferenceEquality")
    private static Throwable causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return c;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return null;
    }
}
