package dev.kiln.host.sandbox;

/**
 * Where a compiled module's code keeps an instance's fuel.
 *
 * @param global the index of the fuel global the injector added
 * @param onMemory whether the code was rewritten to keep the fuel on the instance's memory instead
 *     ({@link FuelAccessRewriter}); the global is then never touched
 */
record FuelHome(int global, boolean onMemory) {}
