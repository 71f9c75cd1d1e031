package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import dev.kiln.abi.HostWork;

/**
 * The fuel global the injector added, as the host-work meter charges it. Host functions are bound
 * before their instance exists (and a start function may call them while it is being built), so the
 * global is found on the first call.
 */
final class GlobalFuel implements HostWork.FuelTank {
    private final int index;
    private GlobalInstance global;

    GlobalFuel(int index) {
        this.index = index;
    }

    /** Called by every host call with its instance; cheap after the first. */
    void bind(Instance instance) {
        if (global == null) {
            global = instance.global(index);
        }
    }

    @Override
    public long get() {
        return global.getValue();
    }

    @Override
    public void set(long value) {
        global.setValue(value);
    }
}
