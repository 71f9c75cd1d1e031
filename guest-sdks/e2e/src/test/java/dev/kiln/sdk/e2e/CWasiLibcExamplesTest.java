package dev.kiln.sdk.e2e;

import java.nio.file.Path;

/** guest-sdks/c's examples built with wasi-libc (libc's malloc and string functions). */
class CWasiLibcExamplesTest extends SdkExamplesContract {
    @Override
    String sdk() {
        return "c";
    }

    @Override
    public String service() {
        return "c-libc";
    }

    @Override
    public Path module(String name) {
        return SdkBuild.SDKS.resolve("c/build/libc/" + name + ".wasm");
    }

    @Override
    String sdkHeader() {
        return "c";
    }
}
