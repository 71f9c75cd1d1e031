package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import dev.kiln.abi.HostWork;

/**
 * An instance's fuel as the host sets, reads and charges it: on its memory when the compiled code
 * was rewritten to keep it there ({@link MemoryFuel}, docs/adr/0065), else in the global the
 * injector added. Host functions are bound before their instance exists (and a start function may
 * call them while it is being built), so the place is found on the first call.
 */
final class GuestFuel implements HostWork.FuelTank {
    private final FuelHome home;
    private GlobalInstance global;
    private ResettableMemory memory;

    GuestFuel(FuelHome home) {
        this.home = home;
    }

    /** Called by every host call with its instance; cheap after the first. */
    void bind(Instance instance) {
        if (global == null && memory == null) {
            if (home.onMemory()) {
                memory = (ResettableMemory) instance.memory();
            } else {
                global = instance.global(home.global());
            }
        }
    }

    /** This fuel, bound to {@code instance}. */
    GuestFuel boundTo(Instance instance) {
        bind(instance);
        return this;
    }

    @Override
    public long get() {
        return memory != null ? memory.fuel : global.getValue();
    }

    @Override
    public void set(long value) {
        if (memory != null) {
            memory.fuel = value;
        } else {
            global.setValue(value);
        }
    }
}
