package dev.kiln.host.deploy;

import dev.kiln.host.registry.FunctionInfo;

/** The result of an upload: the function as now stored, and whether it was new. */
public record Deployment(FunctionInfo function, boolean created) {}
