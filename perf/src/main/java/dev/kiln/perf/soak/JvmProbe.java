package dev.kiln.perf.soak;

import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.List;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Reads the host JVM's figures from outside, through the JDK's attach API: it starts the host's
 * local JMX agent (what {@code jcmd <pid> ManagementAgent.start_local} does) and connects to it.
 * Each reading forces a full GC ({@code MemoryMXBean.gc()}, as {@code jcmd <pid> GC.run}) and then
 * reads the heap in use, metaspace in use and the live threads. The host itself needs no endpoint
 * that triggers a GC, and no {@code jcmd} JVM is started per sample on the measured cores.
 *
 * <p>The agent's own threads (RMI and JMX connection threads, which come and go with connections)
 * are left out of the thread count, so it shows the host's threads only.
 */
final class JvmProbe implements AutoCloseable {
    /** Heap and metaspace in bytes, right after a full GC; the host's live threads. */
    record Figures(long heapAfterGcBytes, long metaspaceBytes, long threads) {}

    private final JMXConnector connector;
    private final MemoryMXBean memory;
    private final ThreadMXBean threads;
    private final List<MemoryPoolMXBean> pools;

    JvmProbe(long pid) throws IOException {
        String address;
        try {
            VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
            try {
                address = vm.startLocalManagementAgent();
            } finally {
                vm.detach();
            }
        } catch (AttachNotSupportedException e) {
            throw new IOException("cannot attach to the host (pid " + pid + "): " + e, e);
        }
        connector = connect(address);
        MBeanServerConnection server = connector.getMBeanServerConnection();
        memory =
                ManagementFactory.newPlatformMXBeanProxy(
                        server, ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class);
        threads =
                ManagementFactory.newPlatformMXBeanProxy(
                        server, ManagementFactory.THREAD_MXBEAN_NAME, ThreadMXBean.class);
        pools = ManagementFactory.getPlatformMXBeans(server, MemoryPoolMXBean.class);
    }

    Figures read() {
        memory.gc();
        long heap = memory.getHeapMemoryUsage().getUsed();
        long metaspace =
                pools.stream()
                        .filter(p -> p.getName().equals("Metaspace"))
                        .mapToLong(p -> p.getUsage().getUsed())
                        .sum();
        long hostThreads = 0;
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t != null && !isAgentThread(t.getThreadName())) {
                hostThreads++;
            }
        }
        return new Figures(heap, metaspace, hostThreads);
    }

    /** Threads of the JMX agent this probe started, not of the host. */
    // The address is the local management agent of the host process the soak started (from the
    // attach API), not outside input.
    @SuppressWarnings("BanJNDI")
    private static JMXConnector connect(String address) throws IOException {
        return JMXConnectorFactory.connect(new JMXServiceURL(address));
    }

    static boolean isAgentThread(String name) {
        return name.startsWith("RMI ") || name.startsWith("JMX ");
    }

    @Override
    public void close() throws IOException {
        connector.close();
    }
}
