package dev.kiln.sdk.e2e;

import java.nio.file.Path;

/** guest-sdks/c's examples built freestanding: kiln.h's own allocator, no libc. */
class CExamplesTest extends SdkExamplesContract {
    @Override
    String sdk() {
        return "c";
    }

    @Override
    public Path module(String name) {
        return SdkBuild.SDKS.resolve("c/build/" + name + ".wasm");
    }

    @Override
    String sdkHeader() {
        return "c";
    }
}
