package dev.kiln.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;

/**
 * One case folder: a module, optional function settings, and the steps to run against it.
 *
 * @param name {@code <area>/<name>}, the folder's path below the cases directory
 * @param settings the {@code function.json} settings applied with PATCH after upload, or null
 * @param deploy what the upload must answer; null means it must succeed
 * @param manifest the {@code kiln.json} settings the upload itself carries (as a zip), or null for
 *     a bare module upload
 */
record ConformanceCase(
        String name,
        Path dir,
        byte[] module,
        JsonNode settings,
        Expectation deploy,
        List<Step> steps,
        JsonNode manifest) {}
