package dev.kiln.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;

/**
 * One case folder: a module, optional function settings, and the steps to run against it.
 *
 * @param name {@code <area>/<name>}, the folder's path below the cases directory
 * @param root the cases directory (for {@code shared:} modules)
 * @param module the case's module file, or null when the case deploys nothing
 * @param upload the JSON object describing the upload request (headers and body form), or null for
 *     the module as {@code application/wasm}
 * @param settings the {@code function.json} settings applied with PATCH after upload, or null
 * @param deploy what the upload must answer; null means it must succeed with 201
 * @param skip why the case is always skipped (a known host bug), or null
 * @param requires features the target must have, else the case is skipped
 * @param exclusive the case changes host-wide state others would see (it spends the runner's
 *     invalid-key budget, so the host answers 429 for a while): it runs alone, after all others
 */
record ConformanceCase(
        String name,
        Path dir,
        Path root,
        Path module,
        JsonNode upload,
        JsonNode settings,
        Expectation deploy,
        List<Step> steps,
        String skip,
        List<String> requires,
        boolean exclusive) {

    /** Whether the case uploads anything before its steps. */
    boolean deploys() {
        return module != null || upload != null;
    }
}
