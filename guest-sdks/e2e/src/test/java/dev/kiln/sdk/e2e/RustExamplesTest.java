package dev.kiln.sdk.e2e;

import java.nio.file.Path;

/** guest-sdks/rust's examples, built with Debian's rustc for wasm32-unknown-unknown. */
class RustExamplesTest extends SdkExamplesContract implements FetchExampleContract {
    @Override
    public KilnUnderTest kiln() {
        return kiln;
    }

    @Override
    String sdk() {
        return "rust";
    }

    @Override
    public Path module(String name) {
        return SdkBuild.SDKS.resolve(
                "rust/target/wasm32-unknown-unknown/release/examples/" + name + ".wasm");
    }

    @Override
    String sdkHeader() {
        return "rust";
    }
}
