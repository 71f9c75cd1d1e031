package dev.kiln.sdk.e2e;

import java.nio.file.Path;

/** guest-sdks/assemblyscript's examples, built with the pinned assemblyscript compiler. */
class AssemblyScriptExamplesTest extends SdkExamplesContract implements FetchExampleContract {
    @Override
    public KilnUnderTest kiln() {
        return kiln;
    }

    @Override
    String sdk() {
        return "assemblyscript";
    }

    @Override
    public Path module(String name) {
        return SdkBuild.SDKS.resolve("assemblyscript/build/" + name + ".wasm");
    }

    @Override
    String sdkHeader() {
        return "assemblyscript";
    }
}
