package dev.kiln.sdk.e2e;

import java.nio.file.Path;

/** guest-sdks/assemblyscript's examples, built with the pinned assemblyscript compiler. */
class AssemblyScriptExamplesTest extends SdkExamplesContract {
    @Override
    String sdk() {
        return "assemblyscript";
    }

    @Override
    Path module(String name) {
        return SdkBuild.SDKS.resolve("assemblyscript/build/" + name + ".wasm");
    }

    @Override
    String sdkHeader() {
        return "assemblyscript";
    }
}
